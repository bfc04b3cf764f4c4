using System.Text.Json;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A Ctrl+C during bench's --profile or --concurrency run, after the timed runs: the timed figures are kept, printed and
/// written, marked interrupted during that step, and the exit code is 130.
/// </summary>
public sealed class BenchFollowUpInterruptTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Theory]
    [InlineData("profile", "batch 1: profiling", new[] { "--profile" })]
    [InlineData("concurrency", "batch 1: concurrency 2", new[] { "--concurrency", "1,2" })]
    public void The_timed_figures_are_kept_when_the_step_after_them_is_interrupted(string step, string cancelAt, string[] options)
    {
        using var dir = TestPaths.NewTempDir();
        var report = dir.File("bench");
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter(cancelAt, cancel.Cancel);
        var stdout = new StringWriter();

        // Ctrl+C as the step begins (its progress line), after both batch sizes were timed.
        string[] args = ["bench", TinyCnn, "--batch", "1,2", "--warmup", "0", "--runs", "20", .. options, "--report", report, "--json"];
        var code = CommandLineApp.Run(args, stdout, stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.Contains($"interrupted during the {step} run: the report holds the timed figures of every batch size (1, 2), without the {step} figures", stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
        Assert.True(json.RootElement.GetProperty("interrupted").GetBoolean());
        Assert.Equal(step, json.RootElement.GetProperty("interruptedDuring").GetString());
        Assert.Equal([1, 2], json.RootElement.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("batchSize").GetInt32()));
        Assert.All(json.RootElement.GetProperty("batches").EnumerateArray(), b => Assert.True(b.GetProperty("runs").GetInt32() > 0));
        Assert.False(json.RootElement.TryGetProperty(step == "profile" ? "profile" : "concurrency", out _));
        Assert.Contains($"**Interrupted** during the {step} run: the timed figures below are whole", File.ReadAllText(Path.Combine(report, "report.md")));
        Assert.Contains("\"interrupted\": true", stdout.ToString());
    }

    [Theory]
    [InlineData("batch 2: loading", null)]
    [InlineData("batch 1: profiling", "profile")]
    public void Side_by_side_figures_timed_before_an_interruption_are_kept(string cancelAt, string? step)
    {
        using var dir = TestPaths.NewTempDir();
        var report = dir.File("bench");
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter(cancelAt, cancel.Cancel);

        string[] args = ["bench", TinyCnn, "--baseline", TinyCnn, "--batch", "1,2", "--warmup", "0", "--runs", "20", .. step is null ? Array.Empty<string>() : ["--profile"], "--report", report];
        var code = CommandLineApp.Run(args, new StringWriter(), stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
        var candidate = json.RootElement.GetProperty("candidate");
        Assert.True(candidate.GetProperty("interrupted").GetBoolean());
        int[] timed = step is null ? [1] : [1, 2];
        Assert.Equal(timed, json.RootElement.GetProperty("speedups").EnumerateArray().Select(s => s.GetProperty("batchSize").GetInt32()));
        Assert.Equal(timed, candidate.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("batchSize").GetInt32()));
        Assert.False(json.RootElement.TryGetProperty("profile", out var profile) && profile.ValueKind != JsonValueKind.Null);
        Assert.Contains("**Interrupted**", File.ReadAllText(Path.Combine(report, "report.md")));
    }
}
