using System.Text.Json;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>optimize bench --profile end to end on the shipped tiny CNN, and the combinations it refuses.</summary>
public sealed class BenchProfileTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    private static HashSet<string> OpTypesOf(string model) => ModelReader.Read(model).Graph.Nodes.Select(n => n.OpType).ToHashSet();

    [Fact]
    public void ProfilesTheModelsOwnOpTypesAndWritesTheReportWithTheTrace()
    {
        using var dir = TestPaths.NewTempDir();
        var folder = dir.File("report");
        var cwdJson = Directory.GetFiles(Environment.CurrentDirectory, "*.json").Length;
        // ONNX Runtime's optimizations off: the session runs the model's own nodes, so the profile's op types are the model's.
        var result = CliRunner.Run("bench", TinyCnn, "--runs", "5", "--warmup", "2", "--graph-optimization", "disabled", "--profile", "--profile-runs", "7", "--report", folder);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("profile: tiny_cnn.onnx, batch 1, 7 profiled runs after 3 warm-up, onnxruntime profiler", result.Stdout);
        Assert.Contains("slowest nodes (top 10 of 13):", result.Stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        var table = json.RootElement.GetProperty("profile").GetProperty("table");
        var opTypes = table.GetProperty("opTypes").EnumerateArray().ToList();
        Assert.Equal(OpTypesOf(TinyCnn), opTypes.Select(o => o.GetProperty("name").GetString()!).ToHashSet());
        Assert.Equal(13, table.GetProperty("nodes").GetArrayLength());
        Assert.All(table.GetProperty("nodes").EnumerateArray(), n => Assert.Equal(7, n.GetProperty("calls").GetInt32()));
        // Three Conv nodes, seven runs: 21 calls.
        Assert.Equal(21, opTypes.Single(o => o.GetProperty("name").GetString() == "Conv").GetProperty("calls").GetInt32());
        Assert.Equal(1.0, opTypes.Sum(o => o.GetProperty("share").GetDouble()), 9);

        var trace = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "profile_tiny_cnn.json")));
        Assert.Equal(3 + 7, trace.RootElement.EnumerateArray().Count(e => e.GetProperty("name").GetString() == "model_run"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(folder, "profile.png"))[..4]);
        var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("## Profile: where the time goes", markdown);
        Assert.Contains("| BatchNormalization |", markdown);
        // ONNX Runtime's profile file is read and deleted, never left in the working folder.
        Assert.Equal(cwdJson, Directory.GetFiles(Environment.CurrentDirectory, "*.json").Length);
    }

    [Fact]
    public void WithABaselineTheOpTypesOfBothModelsStandSideBySide()
    {
        using var dir = TestPaths.NewTempDir();
        var optimized = dir.File("opt");
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", optimized).ExitCode);
        var candidate = Path.Combine(optimized, "model.onnx");
        Assert.DoesNotContain("BatchNormalization", OpTypesOf(candidate)); // folded into the convolutions

        var result = CliRunner.Run("bench", candidate, "--baseline", TinyCnn, "--runs", "3", "--warmup", "1", "--graph-optimization", "disabled", "--profile", "--profile-runs", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var rows = result.Stdout.Split('\n').Where(l => l.StartsWith("BatchNormalization") || l.StartsWith("Conv ")).ToDictionary(l => l.Split(' ')[0], l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // BatchNormalization: time in the baseline, none in the candidate, so its change is minus its baseline time.
        var bn = rows["BatchNormalization"];
        Assert.True(double.Parse(bn[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("0.0000", bn[2]);
        Assert.Equal("-" + bn[1], bn[3]);
        Assert.True(double.Parse(rows["Conv"][2], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Theory]
    [InlineData("--profile-runs goes with --profile", "--profile-runs", "3")]
    [InlineData("--profile-runs must be 1 or more", "--profile", "--profile-runs", "0")]
    [InlineData("--profile does not go with --batch auto", "--profile", "--batch", "auto", "--max-p95", "5")]
    [InlineData("--profile does not go with --concurrency", "--profile", "--concurrency", "1,2")]
    [InlineData("--profile does not go with --measure-overhead", "--profile", "--measure-overhead")]
    public void CombinationsThatMakeNoSenseAreRefused(string reason, params string[] options)
    {
        using var dir = TestPaths.NewTempDir();
        var folder = dir.File("report");
        var result = CliRunner.Run(["bench", TinyCnn, "--runs", "2", "--report", folder, .. options]);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(reason, line);
        Assert.False(Directory.Exists(folder));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void AnEnginesProfileRunCountIsTrtexecsOwn()
    {
        var result = CliRunner.Run("bench", "--engine", "/nonexistent/model.plan", "--profile", "--profile-runs", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--profile-runs does not go with --engine", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
