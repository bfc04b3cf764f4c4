using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--activations dynamic --calibrate DIR --smooth-quant ALPHA</c>: activations still quantized at run time, after
/// SmoothQuant moved an outlier channel into the weights, measured on the data.
/// </summary>
public class DynamicSmoothQuantTests
{
    private const int Tokens = 8, Width = 64;

    /// <summary>x · γ → MatMul: γ is 1 but for one channel at 60 (a LayerNorm's outlier channel, as pretrained transformers have).</summary>
    private static string OutlierModel(string path)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, Tokens, Width);
        var gamma = Enumerable.Repeat(1f, Width).ToArray();
        gamma[3] = 60;
        var y = b.Op("MatMul", [b.Op("Mul", [x, b.Initializer("gamma", gamma, Width)]), b.RandomInitializer("w", 0.2f, Width, Width)]);
        y.Name = "y";
        b.Output(y);
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    private static List<Dictionary<string, TestTensor>> Samples(string folder, int seed)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var feeds = new List<Dictionary<string, TestTensor>>();
        for (var i = 0; i < 4; i++)
        {
            var x = Enumerable.Range(0, Tokens * Width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            NpyFormat.Write(Path.Combine(folder, $"x_{i:0000}.npy"), HostTensor.FromArray(x, [1, Tokens, Width]));
            feeds.Add(new() { ["x"] = new TestTensor(ElementType.Float, [1, Tokens, Width], x) });
        }
        return feeds;
    }

    [Fact]
    public void SmoothingBeforeDynamicInt8KeepsTheOutputCloserAndTheModelDynamic()
    {
        using var dir = TestPaths.NewTempDir();
        var model = OutlierModel(dir.File("m.onnx"));
        Samples(dir.File("calib"), 1);
        var held = Samples(dir.File("held"), 2);
        var plain = CliRunner.Run(model, "-o", dir.File("plain"), "--quantize", "int8");
        var smoothed = CliRunner.Run(model, "-o", dir.File("smoothed"), "--quantize", "int8", "--activations", "dynamic", "--calibrate", dir.File("calib"), "--smooth-quant", "0.7");
        Assert.True(plain.ExitCode == 0 && smoothed.ExitCode == 0, plain.Stderr + smoothed.Stderr);
        Assert.Contains("measuring the per-channel maxima of 1 MatMul/Gemm inputs", smoothed.Stderr);

        var written = ModelReader.Read(dir.File("smoothed/model.onnx"));
        Assert.Contains(written.Graph.Nodes, n => n.OpType == "DynamicQuantizeLinear");
        Assert.DoesNotContain(written.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        var q = JsonDocument.Parse(File.ReadAllText(dir.File("smoothed/report.json"))).RootElement.GetProperty("quantization");
        Assert.Equal(("dynamic", 0.7), (q.GetProperty("mode").GetString(), q.GetProperty("smoothQuant").GetDouble()));

        double Error(string path) => held.Max(feed =>
            OrtRunner.RelativeError(OrtRunner.Run(File.ReadAllBytes(model), feed)["y"].AsDoubles(), OrtRunner.Run(File.ReadAllBytes(path), feed)["y"].AsDoubles()));
        var (before, after) = (Error(dir.File("plain/model.onnx")), Error(dir.File("smoothed/model.onnx")));
        // one channel 60x the others sets the per-tensor step: the other 63 round to a few levels until smoothed
        Assert.True(after < before / 2, $"relative error {after:G3} smoothed against {before:G3} plain");
    }

    [Fact]
    public void AutoMeasuresEachAlphaAndKeepsTheBest()
    {
        using var dir = TestPaths.NewTempDir();
        var model = OutlierModel(dir.File("m.onnx"));
        Samples(dir.File("calib"), 1);
        var result = CliRunner.Run(model, "-o", dir.File("out"), "--quantize", "int8", "--activations", "dynamic", "--calibrate", dir.File("calib"), "--smooth-quant", "auto");
        Assert.True(result.ExitCode == 0, result.Stderr);
        // no attention_mask input: judged by the output's SQNR, on the calibration samples
        Assert.Matches(@"smooth-quant: 0\.\d \(worst output SQNR against FP32 on 4 calibration samples: off [\d.]+ dB, 0\.5 [\d.]+ dB, 0\.6 [\d.]+ dB, 0\.7 [\d.]+ dB, 0\.8 [\d.]+ dB; compared in", result.Stderr);
        var q = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json"))).RootElement.GetProperty("quantization");
        var compared = q.GetProperty("smoothQuantCompared").GetProperty("values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["off", "0.5", "0.6", "0.7", "0.8"], compared.Keys);
        // the kept alpha is the best measured, and smoothing beat leaving the outlier channel as it is
        var best = compared.MaxBy(c => c.Value);
        Assert.Equal(best.Key, q.GetProperty("smoothQuant").GetDouble().ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(best.Value > compared["off"] + 3, string.Join(", ", compared));
        Assert.Contains("SmoothQuant alpha " + best.Key + " chosen by comparing", File.ReadAllText(dir.File("out/report.md")));
    }
}
