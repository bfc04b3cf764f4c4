using System.Text.Json;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--max-accuracy-drop min-pooled-cosine=V</c> as a sentence embedder's user gives it: measured on the mean of the
/// tokens each sample's attention_mask marks, reported per output, and refused for a model without token vectors.
/// </summary>
public sealed class PooledCosineGateTests
{
    [Fact]
    public void ADynamicBertIsJudgedOnItsPooledTokensAndTheReportCarriesTheFigure()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TestPaths.SharedModel("bert_mini.onnx"), "-o", dir.Path, "--quantize", "int8",
            "--validate", Path.Combine(TestPaths.SharedModels, "bert_calib"), "--max-accuracy-drop", "min-pooled-cosine=0.999");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("worst pooled cosine", result.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "report.json")));
        var validation = report.RootElement.GetProperty("validation");
        var gate = Assert.Single(validation.GetProperty("gates").EnumerateArray());
        Assert.Equal("min-pooled-cosine", gate.GetProperty("gate").GetString());
        Assert.True(gate.GetProperty("passed").GetBoolean());
        var hidden = validation.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "output");
        var pooled = hidden.GetProperty("minPooledCosine").GetDouble();
        Assert.Equal(pooled, gate.GetProperty("actual").GetDouble());
        // pooling averages the per-token errors away: the pooled vectors agree better than the worst whole tensor
        Assert.InRange(pooled, hidden.GetProperty("minCosineSimilarity").GetDouble(), 1.0 + 1e-9);
    }

    [Fact]
    public void AModelWithoutTokenVectorsIsRefusedNamingItsOutputs()
    {
        var model = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var result = CliRunner.Run("validate", "--candidate", model, "--baseline", model,
            "--data", Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate"), "--max-accuracy-drop", "min-pooled-cosine=0.99");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("min-pooled-cosine: no output has this metric (it needs an [N, T, C] output of token vectors", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
