using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
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
    public void AnOutputOfThreeAxesWithoutATokenMaskIsNotSummarisedAsPooledTokens()
    {
        // a recurrent state [2, N, C] or a CTC output [N, T, C] has three axes too; without an attention_mask input the
        // summary line leaves the pooled figure out (report.json keeps it, and the gate can still be asked for)
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 1, 8);
        b.Output(b.Op("Tanh", [x]));
        var path = dir.File("state.onnx");
        ModelWriter.Write(b.Build(), path);
        Directory.CreateDirectory(dir.File("data"));
        NpyFormat.Write(dir.File(Path.Combine("data", "x_0000.npy")), HostTensor.FromArray(Enumerable.Range(0, 16).Select(i => i / 8f - 1).ToArray(), [2, 1, 8]));

        var result = CliRunner.Run("validate", "--candidate", path, "--baseline", path, "--data", dir.File("data"), "--report", dir.File("report"));

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.DoesNotContain("pooled", result.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("report", "report.json"))));
        var output = Assert.Single(report.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal(1.0, output.GetProperty("minPooledCosine").GetDouble(), 9);
        Assert.False(output.GetProperty("pooledByTokenMask").GetBoolean());
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

    private const int Tokens = 8, Width = 64;

    /// <summary>Token vectors [1, 8, 64] masked by attention_mask, through two MatMuls with a Relu between: a tiny encoder.</summary>
    private static string Encoder(string path)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, Tokens, Width);
        var mask = b.Input("attention_mask", ElementType.Int64, 1, Tokens);
        var keep = b.Op("Unsqueeze", [b.Op("Cast", [mask], ("to", (long)ElementType.Float)), b.Initializer("last", new long[] { 2 }, 1)]);
        var h = b.Op("Relu", [b.Op("MatMul", [b.Op("Mul", [x, keep]), b.RandomInitializer("w1", 0.2f, Width, Width)])]);
        var y = b.Op("MatMul", [h, b.RandomInitializer("w2", 0.2f, Width, Width)]);
        y.Name = "hidden";
        b.Output(y);
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    /// <summary>Four samples whose last three tokens are padding.</summary>
    private static string Sentences(string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        for (var i = 0; i < 4; i++)
        {
            var x = Enumerable.Range(0, Tokens * Width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var mask = Enumerable.Range(0, Tokens).Select(t => t < Tokens - 3 ? 1L : 0L).ToArray();
            NpyFormat.Write(Path.Combine(folder, $"x_{i:0000}.npy"), HostTensor.FromArray(x, [1, Tokens, Width]));
            NpyFormat.Write(Path.Combine(folder, $"attention_mask_{i:0000}.npy"), HostTensor.FromArray(mask, [1, Tokens]));
        }
        return folder;
    }

    [Fact]
    public void TheBudgetRanksByThePooledVectorsAndReturnsNodesToFloatUntilTheyHold()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Sentences(dir.File("data"));
        // INT8 moves the pooled vectors by about 1e-5 of a cosine: a bound of 1e-8 makes the budget return nodes to float
        var result = CliRunner.Run(Encoder(dir.File("encoder.onnx")), "-o", dir.File("out"), "--quantize", "int8", "--validate", data,
            "--max-accuracy-drop", "min-pooled-cosine=0.99999999");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("accuracy budget missed with 0 nodes in float (min-pooled-cosine 0.9", result.Stderr);
        Assert.Contains("by the worst pooled cosine, then output SQNR)", result.Stderr);
        Assert.Contains("| node | worst pooled cosine | output SQNR (dB) |", File.ReadAllText(dir.File("out/report.md")));
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        var gate = Assert.Single(report.RootElement.GetProperty("validation").GetProperty("gates").EnumerateArray());
        Assert.True(gate.GetProperty("passed").GetBoolean());
        Assert.True(gate.GetProperty("actual").GetDouble() >= 0.99999999);
    }
}
