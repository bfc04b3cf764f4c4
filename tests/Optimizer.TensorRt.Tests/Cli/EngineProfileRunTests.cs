using System.Globalization;
using System.Text.Json;
using Optimizer.Cli.Commands;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>bench --engine --profile: trtexec's per-layer profile (--separateProfileRun --exportProfile) in the profile table.</summary>
public sealed class EngineProfileRunTests
{
    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("10.13.0.35")]
    public async Task An_engines_layer_profile_fills_the_layer_table_and_leaves_no_file(string version)
    {
        using var h = new BuildHarness(version);
        var built = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });
        var leftBefore = Directory.GetFiles(Path.GetTempPath(), "optimizer-profile-*.json").Length;

        var report = await EngineProfileRun.RunAsync(h.Trtexec, built.EnginePath, "x:1x3x8x8", 0.05, CancellationToken.None);

        // The timed run still has trtexec's performance summary: the profile ran separately.
        Assert.True(Assert.Single(report.Batches).Runs > 0);
        var profile = report.Profile!;
        Assert.Equal(EngineProfileRun.Source, profile.Table.Source);
        Assert.Empty(profile.Table.OpTypes);
        // The engine's layers are the model's nodes (fused ones joined with " + "), each named once.
        var nodes = ModelReader.Read(h.ModelPath).Graph.Nodes.Select(n => n.Name).ToHashSet();
        var layerNodes = profile.Table.Nodes.SelectMany(l => l.Name.Split(" + ")).ToList();
        Assert.Equal(layerNodes.Count, layerNodes.Distinct().Count());
        Assert.Subset(nodes, layerNodes.ToHashSet());
        Assert.All(profile.Table.Nodes, l => Assert.Equal(profile.Table.Runs, l.Calls));
        Assert.Equal(1.0, profile.Table.Nodes.Sum(l => l.Share), 9);
        Assert.True(profile.Table.Nodes.Zip(profile.Table.Nodes.Skip(1)).All(p => p.First.TotalMs >= p.Second.TotalMs));

        // The kept trace is trtexec's own file; its figures are the table's.
        var file = JsonDocument.Parse(profile.Trace).RootElement.EnumerateArray().ToList();
        Assert.Equal(profile.Table.Runs, file[0].GetProperty("count").GetInt32());
        Assert.Equal(file.Skip(1).Sum(e => e.GetProperty("timeMs").GetDouble()), profile.Table.KernelTimeMs, 1e-3);
        Assert.Equal(100, file.Skip(1).Sum(e => e.GetProperty("percentage").GetDouble()), 1e-2);
        Assert.Equal(leftBefore, Directory.GetFiles(Path.GetTempPath(), "optimizer-profile-*.json").Length);
    }

    [Fact]
    public async Task Dump_profile_prints_trtexecs_table_whose_total_is_the_sum_of_its_layers()
    {
        using var h = new BuildHarness("10.13.0.35");
        var built = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });
        var run = await Optimizer.TensorRt.Running.ProcessRunner.RunAsync(h.Trtexec,
            [$"--loadEngine={built.EnginePath}", "--shapes=x:1x3x8x8", "--duration=0.05", "--warmUp=20", "--dumpProfile"], null, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(0, run.ExitCode);
        var text = run.Lines.Select(l => l.Raw).ToList();
        // Without --separateProfileRun the timed run is the profiled one, so there is no performance summary.
        Assert.Contains(text, l => l.Contains("The e2e network timing is not reported"));
        Assert.DoesNotContain(text, l => l.Contains("Latency: min ="));
        var header = text.FindIndex(l => l.Contains("=== Profile ("));
        Assert.True(header > 0);
        Assert.EndsWith("Layer   Time (ms)   Avg. Time (ms)   Median Time (ms)   Time %", text[header + 1]);
        var rows = text.Skip(header + 2).TakeWhile(l => !l.TrimEnd().EndsWith("[I]")).Select(l => l[(l.IndexOf("[I] ") + 4)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var total = rows[^1];
        Assert.Equal("Total", total[0]);
        var sum = rows[..^1].Sum(r => double.Parse(r[^4], CultureInfo.InvariantCulture));
        Assert.Equal(double.Parse(total[1], CultureInfo.InvariantCulture), sum, 0.01 * rows.Count);
        Assert.Equal("100.0", total[^1]);
    }

    [Fact]
    public void A_profile_file_not_in_trtexecs_format_is_an_external_tool_failure()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "[{\"name\": \"a\"}]");
            Assert.Throws<Optimizer.Onnx.Errors.ExternalToolException>(() => LayerProfileFile.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
