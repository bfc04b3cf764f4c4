using System.Text.Json.Nodes;
using Optimizer.Cli.Zoo;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>
/// <c>optimize merge-reports</c>: a zoo run in 4 shards merges into the report of the same zoo run unsharded (apart
/// from timings), and shards that are not one whole zoo are refused with one line naming them.
/// </summary>
public class MergeReportsTests
{
    private static readonly string[] Models = ["alpha", "beta", "gamma", "delta", "epsilon"];

    private static TempDir Zoo() => ZooFixture.Create(ZooFixture.Int8Defaults + "\njobs:\n  - model: m/*.onnx\n", Models);

    /// <summary>Runs the zoo in <paramref name="count"/> shards, each with its report in shards/I.</summary>
    private static void RunShards(TempDir dir, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--shard", $"{i}/{count}", "--report", dir.File($"shards/{i}"));
            Assert.True(result.ExitCode == 0, result.Stderr);
        }
    }

    [Fact]
    public void FourShardsMergeIntoTheUnshardedRunsReport()
    {
        using var dir = Zoo();
        var whole = CliRunner.Run("run", dir.File("zoo.yaml"), "--report", dir.File("whole"));
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        var models = Models.ToDictionary(m => m, m => File.ReadAllBytes(dir.File($"out/{m}/model.onnx")));
        RunShards(dir, 4);

        var merge = CliRunner.Run("merge-reports", dir.File("shards/0"), dir.File("shards/1"), dir.File("shards/2"), dir.File("shards/3"), "-o", dir.File("merged"));

        Assert.True(merge.ExitCode == 0, merge.Stderr);
        Assert.Equal(ZooReport.Untimed(dir.File("whole")), ZooReport.Untimed(dir.File("merged")));
        var merged = JsonNode.Parse(File.ReadAllText(dir.File("merged/zoo-report.json")))!;
        Assert.Equal(4, (int)merged["mergedShards"]!);
        Assert.Null(merged["shard"]);
        Assert.Equal(5, merged["jobs"]!.AsArray().Count);
        // The shards' models are the unsharded run's, byte for byte.
        Assert.All(Models, m => Assert.Equal(models[m], File.ReadAllBytes(dir.File($"out/{m}/model.onnx"))));
        Assert.True(File.Exists(dir.File("merged/zoo-report.md")));
        Assert.True(File.Exists(dir.File("merged/zoo-junit.xml")));
    }

    public static TheoryData<string[], string> Broken => new()
    {
        { ["shards/0", "shards/1", "shards/3"], "shard missing: 2/4" },
        { ["shards/0", "shards/1", "shards/2", "shards/3", "copy-of-1"], "shard 1/4 given twice: {dir}/shards/1, {dir}/copy-of-1" },
        { ["shards/0", "shards/1", "shards/2", "shards/3", "other-zoo"], "from different zoos" },
        { ["shards/0", "shards/1", "shards/2", "shards/3", "two-of-3"], "different numbers of shards" },
        { ["shards/0", "shards/1", "shards/2", "tampered-3"], "job {first} appears 2 times" },
        { ["shards/0", "shards/1", "shards/2", "emptied-3"], "in no report: " },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void ShardsThatAreNotOneWholeZooAreExit1WithOneLineNamingThem(string[] dirs, string message)
    {
        using var dir = ZooFixture.Create("defaults:\n  output: out/{model}\n  passes: none\njobs:\n  - model: m/*.onnx\n", Models);
        RunShards(dir, 4);
        var firstOf3 = Models.First(m => Shard.Of(m, 4) == 3);
        var firstOf0 = Models.First(m => Shard.Of(m, 4) == 0);
        CopyDir(dir.File("shards/1"), dir.File("copy-of-1"));
        // Another zoo: one model fewer.
        File.WriteAllText(dir.File("other.yaml"), "defaults:\n  output: out/{model}\n  passes: none\njobs:\n  - model: m/[a-f]*.onnx\n");
        Assert.Equal(0, CliRunner.Run("run", dir.File("other.yaml"), "--shard", "0/4", "--report", dir.File("other-zoo")).ExitCode);
        Assert.Equal(0, CliRunner.Run("run", dir.File("zoo.yaml"), "--shard", "2/3", "--report", dir.File("two-of-3")).ExitCode);
        // Shard 3 with a row of shard 0 added, and with its rows removed.
        var report = JsonNode.Parse(File.ReadAllText(dir.File("shards/3/zoo-report.json")))!;
        var extra = JsonNode.Parse(File.ReadAllText(dir.File("shards/0/zoo-report.json")))!["jobs"]!.AsArray().First(j => (string)j!["name"]! == firstOf0)!.DeepClone();
        var tampered = report.DeepClone();
        tampered["jobs"]!.AsArray().Add(extra);
        Directory.CreateDirectory(dir.File("tampered-3"));
        File.WriteAllText(dir.File("tampered-3/zoo-report.json"), tampered.ToJsonString());
        var emptied = report.DeepClone();
        emptied["jobs"] = new JsonArray();
        Directory.CreateDirectory(dir.File("emptied-3"));
        File.WriteAllText(dir.File("emptied-3/zoo-report.json"), emptied.ToJsonString());

        var result = CliRunner.Run(["merge-reports", .. dirs.Select(dir.File), "-o", dir.File("merged")]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the reports are not one whole zoo: ", line);
        Assert.Contains(message.Replace("{dir}", dir.Path).Replace("{first}", firstOf0), line);
        if (dirs.Contains("emptied-3")) Assert.Contains(firstOf3, line);
        Assert.False(Directory.Exists(dir.File("merged")));
    }

    [Fact]
    public void AFolderWithoutAReportIsBadInput()
    {
        using var dir = TestPaths.NewTempDir();

        var result = CliRunner.Run("merge-reports", dir.File("nothing"), "-o", dir.File("merged"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {dir.File("nothing")}: no zoo-report.json", result.Stderr);
        Assert.False(Directory.Exists(dir.File("merged")));
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
