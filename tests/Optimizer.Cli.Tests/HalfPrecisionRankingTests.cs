using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// The FP16 budget's ranking blames a node for the error it adds, not for the rounding it only passes on: an op that
/// moves values (Unsqueeze, Pad, Reshape...) reading a rounded input had been ranked worst and returned to float32 first,
/// to no effect (silero VAD: four Unsqueeze and a Pad after an If, rounds that left the output as it was).
/// </summary>
public sealed class HalfPrecisionRankingTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AnOpThatOnlyMovesValuesAddsNoError()
    {
        // x → Unsqueeze → Mul(w) → Squeeze → y: the input's rounding to float16 reaches the Unsqueeze, which adds nothing
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, 8);
        var up = b.Op("Unsqueeze", [x, b.Initializer("axes", new long[] { 0 }, 1)]);
        var scaled = b.Op("Mul", [up, b.RandomInitializer("w", 1f, 1, 4, 8)]);
        b.Output(b.Op("Squeeze", [scaled, b.Initializer("axes0", new long[] { 0 }, 1)]));
        var model = _dir.File("m.onnx");
        ModelWriter.Write(b.Build(), model);
        var data = Directory.CreateDirectory(_dir.File("data")).FullName;
        var random = new Random(3);
        for (var i = 0; i < 4; i++)
            NpyFormat.Write(Path.Combine(data, $"x_{i:D4}.npy"), HostTensor.FromArray(Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble() * 3 + 0.1f).ToArray(), [4, 8]));

        // a gate only float32 meets, so that the budget ranks every converted node (and returns all of them in the end)
        var result = CliRunner.Run(model, "-o", _dir.File("out"), "--quantize", "fp16", "--validate", data, "--max-accuracy-drop", "sqnr=200");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(_dir.File("out/report.json")));
        var errors = report.RootElement.GetProperty("halfPrecision").GetProperty("nodeErrors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("opType").GetString()!, e => e.GetProperty("addedLossDb").GetDouble());
        Assert.Equal(0, errors["Unsqueeze"]);
        Assert.Equal(0, errors["Squeeze"]);
        Assert.True(errors["Mul"] > 0, result.Stderr);
        // the one node that rounds is the first returned to float32
        Assert.Equal("Mul", report.RootElement.GetProperty("halfPrecision").GetProperty("nodeErrors")[0].GetProperty("opType").GetString());
    }
}
