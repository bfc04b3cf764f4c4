using System.Text.Json.Nodes;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>
/// <c>optimize run --jobs N</c>: the jobs run as child processes of the tool and write exactly what they write one
/// after another in-process; their output is printed whole, prefixed by the job, in the zoo's order.
/// </summary>
public class ParallelJobsTests
{
    private static readonly string[] Models = ["a", "b", "c"];

    [Fact]
    public void TwoJobsAtOnceWriteTheSameArtifactsAsOneAtATime()
    {
        using var dir = ZooFixture.Create(ZooFixture.Int8Defaults + "\njobs:\n  - model: m/*.onnx\n", Models);

        var serial = CliRunner.Run("run", dir.File("zoo.yaml"), "--jobs", "1");
        Assert.True(serial.ExitCode == 0, serial.Stderr);
        var one = Artifacts(dir);
        Directory.Delete(dir.File("out"), recursive: true);
        var parallel = CliRunner.Run("run", dir.File("zoo.yaml"), "--jobs", "2");

        Assert.True(parallel.ExitCode == 0, parallel.Stderr);
        Assert.Equal(one, Artifacts(dir));
        Assert.Contains("running 3 jobs, up to 2 at once within", parallel.Stderr);
        // Printed whole and in the zoo's order, each line with its job.
        var starts = Models.Select(m => parallel.Stderr.IndexOf($"job {m}: optimize", StringComparison.Ordinal)).ToList();
        Assert.All(starts, s => Assert.True(s >= 0, parallel.Stderr));
        Assert.Equal(starts.Order(), starts);
        Assert.Contains($"[b] wrote {dir.File("out/b/model.onnx")}", parallel.Stdout);
        Assert.All(parallel.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches(@"^\[[abc]\] ", l));
    }

    [Fact]
    public void AJobLargerThanTheMemoryBoundRunsAloneAndAFailureIsReported()
    {
        using var dir = ZooFixture.Create("defaults:\n  output: out/{model}\njobs:\n  - model: m/*.onnx\n  - name: bad\n    model: m/a.onnx\n    output: out/bad\n    opset: 1\n", Models);

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--jobs", "2", "--max-memory", "1K");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("job a: estimated ", result.Stderr);
        Assert.Contains("more than the bound; running it alone", result.Stderr);
        Assert.Contains($"[bad] error: {dir.File("zoo.yaml")}:5: job bad: --opset 1 is lower", result.Stderr);
        var jobs = JsonNode.Parse(File.ReadAllText(dir.File("out/zoo-report.json")))!["jobs"]!.AsArray();
        Assert.Equal(["passed", "passed", "passed", "bad-input"], jobs.Select(j => (string)j!["status"]!));
        Assert.NotNull((string?)jobs[3]!["message"]);
    }

    [Theory]
    [InlineData("--jobs", "0", "--jobs: 0; expected 1 or more")]
    [InlineData("--max-memory", "lots", "--max-memory: 'lots' is not a size")]
    public void BadParallelOptionsAreExit2(string option, string value, string message)
    {
        using var dir = ZooFixture.Create("defaults:\n  output: out/{model}\njobs:\n  - model: m/*.onnx\n", Models);

        var result = option == "--max-memory"
            ? CliRunner.Run("run", dir.File("zoo.yaml"), "--jobs", "2", option, value)
            : CliRunner.Run("run", dir.File("zoo.yaml"), option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: " + message, result.Stderr);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    /// <summary>Each job's model, calibration table and report (its timings and absolute paths left out), by file.</summary>
    private static SortedDictionary<string, string> Artifacts(TempDir dir)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in Models)
        {
            all[$"{model}/model.onnx"] = Convert.ToHexString(File.ReadAllBytes(dir.File($"out/{model}/model.onnx")));
            all[$"{model}/calibration.json"] = File.ReadAllText(dir.File($"out/{model}/calibration.json"));
            all[$"{model}/report.json"] = WithoutTimings(JsonNode.Parse(File.ReadAllText(dir.File($"out/{model}/report.json"))))!.ToJsonString();
        }
        all["zoo-report"] = Optimizer.Cli.Zoo.ZooReport.Untimed(dir.File("out"));
        return all;
    }

    private static JsonNode? WithoutTimings(JsonNode? node)
    {
        if (node is JsonObject o)
            foreach (var key in o.Select(p => p.Key).ToList())
            {
                if (key.Contains("seconds", StringComparison.OrdinalIgnoreCase)) o.Remove(key);
                else WithoutTimings(o[key]);
            }
        else if (node is JsonArray a)
            foreach (var item in a) WithoutTimings(item);
        return node;
    }
}
