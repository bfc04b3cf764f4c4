using System.Text.Json;
using Optimizer.Onnx.Serialization;
using Optimizer.Onnx.Verification;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary><c>optimize MODEL --prune ...</c> as users type it: structured within a budget, unstructured 2:4, with --quantize, refusals.</summary>
public class PruneCommandTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Calib = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "calib");
    private static readonly string Held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    // tiny_cnn's layers have 8 to 16 channels: the tests that want channels removed keep no channel multiple.

    [Fact]
    public void StructuredPruningSparesSensitiveGroupsThenLowersTheAmountUntilTheBudgetHolds()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--prune", "structured", "--prune-amount", "0.6", "--prune-channel-multiple", "1",
            "--validate", Held, "--max-accuracy-drop", "cosine=0.999");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("ranking 2 pruned groups by sensitivity", result.Stderr);
        Assert.Contains("accuracy budget held pruning", result.Stderr);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Empty(ModelVerifier.Verify(model));
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var p = report.RootElement.GetProperty("pruning");
        var budget = p.GetProperty("budget");
        Assert.True(budget.GetProperty("passed").GetBoolean());
        // tiny_cnn has two prunable groups: sparing both prunes nothing, so the amount comes down for both instead.
        Assert.InRange(budget.GetProperty("reached").GetDouble(), 0.0001, 0.5);
        Assert.InRange(budget.GetProperty("amount").GetDouble(), 0.0001, 0.5);
        Assert.Equal(2, budget.GetProperty("sensitivity").GetArrayLength());
        Assert.False(budget.GetProperty("steps")[0].GetProperty("passed").GetBoolean());
        Assert.True(p.GetProperty("parametersAfter").GetInt64() < p.GetProperty("parametersBefore").GetInt64());
        Assert.True(report.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
        Assert.True(File.Exists(dir.File("pruning_channels.png")));
        Assert.Contains("## Pruning (structured)", File.ReadAllText(dir.File("report.md")));
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        Assert.Equal("structured", manifest.RootElement.GetProperty("pruning").GetProperty("mode").GetString());
    }

    [Fact]
    public void AModelWhoseLayersAllFeedANormalizationSaysWhyNoChannelWasPruned()
    {
        // a wake-word head: Gemm -> LayerNormalization -> Relu -> Gemm; LayerNormalization mixes the Gemm's channels
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder(seed: 3);
        var x = b.Input("x", Optimizer.Onnx.IR.ElementType.Float, 1, 32);
        var h = b.Op("Gemm", [x, b.RandomInitializer("w1", 0.3f, 32, 24), b.RandomInitializer("b1", 0.1f, 24)]);
        var n = b.Op("LayerNormalization", [h, b.RandomInitializer("g", 1f, 24), b.RandomInitializer("beta", 0.1f, 24)], ("axis", -1));
        b.Output(b.Op("Gemm", [b.Op("Relu", [n]), b.RandomInitializer("w2", 0.3f, 24, 2)]));
        var path = dir.File("head.onnx");
        ModelWriter.Write(b.Build(), path);

        var head = CliRunner.Run(path, "-o", dir.File("out"), "--prune", "structured", "--prune-amount", "0.3");
        Assert.True(head.ExitCode == 0, head.Stderr);
        Assert.Contains("pruned 0 of 0 prunable channels", head.Stdout);
        Assert.Contains("note: no channel could be pruned", head.Stderr);

        // a CNN with prunable channels gets no such note
        var cnn = CliRunner.Run(TinyCnn, "-o", dir.File("cnn"), "--prune", "structured", "--prune-amount", "0.3");
        Assert.True(cnn.ExitCode == 0, cnn.Stderr);
        Assert.DoesNotContain("no channel could be pruned", cnn.Stderr);
    }

    [Fact]
    public void ThresholdZeroWritesTheSameModelAsNoPruning()
    {
        using var dir = TestPaths.NewTempDir();
        var plain = CliRunner.Run(TinyCnn, "-o", dir.File("plain"));
        var pruned = CliRunner.Run(TinyCnn, "-o", dir.File("pruned"), "--prune", "structured", "--prune-threshold", "0", "--explain");

        Assert.True(pruned.ExitCode == 0, pruned.Stderr);
        Assert.Contains("no channel's norm is below 0", pruned.Stdout);
        var inputs = OrtRunner.SeededInputs(ModelReader.Read(TinyCnn), 3);
        var a = OrtRunner.RunFile(dir.File("plain/model.onnx"), inputs).Values.Single();
        var b = OrtRunner.RunFile(dir.File("pruned/model.onnx"), inputs).Values.Single();
        Assert.Equal(a.AsDoubles(), b.AsDoubles());
    }

    [Fact]
    public void UnstructuredTwoFourReportsSparsityAndSaysCpuKernelsAreNotFaster()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--prune", "unstructured", "--prune-pattern", "2:4");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var p = report.RootElement.GetProperty("pruning");
        Assert.Equal("2:4", p.GetProperty("pattern").GetString());
        Assert.Contains(p.GetProperty("sparsity").EnumerateArray(), l => Math.Abs(l.GetProperty("sparsity").GetDouble() - 0.5) < 1e-9);
        Assert.True(p.GetProperty("deflateBytesAfter").GetInt64() < p.GetProperty("deflateBytesBefore").GetInt64());
        Assert.Contains("do not speed up dense CPU kernels", File.ReadAllText(dir.File("report.md")));
        OrtRunner.RunFile(dir.File("model.onnx"), OrtRunner.SeededInputs(ModelReader.Read(TinyCnn)));
    }

    [Fact]
    public void PruneThenQuantizeInOneCommand()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--prune", "structured", "--prune-amount", "0.1", "--prune-channel-multiple", "1", "--quantize", "int8", "--calibrate", Calib);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.True(report.RootElement.GetProperty("pruning").GetProperty("channelsRemoved").GetInt32() > 0);
        Assert.True(report.RootElement.GetProperty("quantization").GetProperty("quantizedNodes").GetInt32() > 0);
        var names = report.RootElement.GetProperty("passResults").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.True(names.IndexOf("prune-structured") < names.IndexOf("quantize-static"), string.Join(",", names));
    }

    [Theory]
    [InlineData("--prune-amount 0.3", "--prune-amount needs --prune")]
    [InlineData("--prune structured", "--prune needs --prune-threshold T or --prune-amount A")]
    [InlineData("--prune structured --prune-amount 1.5", "expected a fraction from 0 to below 1")]
    [InlineData("--prune structured --prune-amount 0.3 --prune-threshold 1", "choose one")]
    [InlineData("--prune sideways --prune-amount 0.3", "expected structured or unstructured")]
    [InlineData("--prune structured --prune-pattern 2:4", "applies to --prune unstructured")]
    [InlineData("--prune unstructured --prune-amount 0.3 --prune-max-per-layer 0.5", "applies to --prune structured")]
    [InlineData("--prune unstructured --prune-pattern 1:4", "expected 2:4")]
    public void BadOptionsAreRefusedWithOneLineAndNoOutput(string options, string message)
    {
        using var dir = TestPaths.NewTempDir();
        var before = File.ReadAllBytes(TinyCnn);
        var result = CliRunner.Run([TinyCnn, "-o", dir.File("out"), .. options.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.File("out")));
        Assert.Equal(before, File.ReadAllBytes(TinyCnn));
    }

    [Fact]
    public void ExcludeAloneProtectsLayersFromPruning()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--prune", "structured", "--prune-amount", "0.5", "--exclude", "Conv", "--explain");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("is excluded (--exclude)", result.Stdout);
    }

    [Fact]
    public void PipelineFileKeysMeanTheOptions()
    {
        using var dir = TestPaths.NewTempDir();
        File.Copy(TinyCnn, dir.File("tiny.onnx"));
        File.WriteAllText(dir.File("job.yaml"), "model: tiny.onnx\noutput: out\nprune: structured\nprune-norm: l1\nprune-amount: 0.25\n"
                                                + "prune-max-per-layer: 0.5\nprune-channel-multiple: 4\n");
        var dry = CliRunner.Run("run", dir.File("job.yaml"), "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("--prune structured --prune-norm l1 --prune-amount 0.25 --prune-max-per-layer 0.5 --prune-channel-multiple 4", dry.Stdout);
        var run = CliRunner.Run("run", dir.File("job.yaml"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        Assert.Equal("l1", report.RootElement.GetProperty("pruning").GetProperty("norm").GetString());
    }
}
