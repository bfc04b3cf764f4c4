using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Optimizer.Cli.Commands;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Cross-layer equalization before static INT8 is measured by default: with per-channel weights it only moves the
/// activation between the two Convs, which helps one model and hurts another, so the model is quantized both ways and
/// the better kept; on/off force it, and a calibration table carries the choice its ranges were calibrated under.
/// </summary>
public sealed class EqualizationChoiceTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// x → Conv(8 channels) → Relu → Conv(1x1) → y. Channel c of the first Conv has weights of scale
    /// <paramref name="weightScale"/>(c) and bias <paramref name="bias"/>(c): the activation between the Convs is as wide
    /// per channel as those make it; the second Conv reads channel c with weights of scale <paramref name="columnScale"/>(c).
    /// </summary>
    private string Model(string name, Func<int, float> weightScale, Func<int, float> bias, Func<int, float>? columnScale = null)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var random = new Random(7);
        var w1 = new float[8 * 27];
        for (var c = 0; c < 8; c++)
            for (var k = 0; k < 27; k++) w1[c * 27 + k] = (float)(random.NextDouble() * 2 - 1) * weightScale(c);
        var conv1 = b.Op("Conv", [x, b.Initializer("w1", w1, 8, 3, 3, 3), b.Initializer("b1", Enumerable.Range(0, 8).Select(bias).ToArray(), 8)], ("pads", new long[] { 1, 1, 1, 1 }));
        var relu = b.Op("Relu", [conv1]);
        var w2 = new float[4 * 8];
        for (var o = 0; o < 4; o++)
            for (var c = 0; c < 8; c++) w2[o * 8 + c] = (float)(random.NextDouble() * 2 - 1) * (columnScale?.Invoke(c) ?? 0.5f);
        b.Output(b.Op("Conv", [relu, b.Initializer("w2", w2, 4, 8, 1, 1)]));
        var path = _dir.File(name + ".onnx");
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    private string Data(string name, int count)
    {
        var folder = Directory.CreateDirectory(_dir.File(name)).FullName;
        var random = new Random(count);
        for (var i = 0; i < count; i++)
            NpyFormat.Write(Path.Combine(folder, $"x_{i:D4}.npy"),
                HostTensor.FromArray(Enumerable.Range(0, 192).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), [1, 3, 8, 8]));
        return folder;
    }

    private static (double Off, double On, string Chosen) Measured(string stderr)
    {
        var m = Regex.Match(stderr, @"cross-layer equalization \(1 Conv pair\): (on|off) \(worst output SQNR against FP32 on \d+ calibration samples: off ([\d.]+) dB, on ([\d.]+) dB");
        Assert.True(m.Success, stderr);
        return (double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[1].Value);
    }

    private static JsonElement Report(string outDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement.GetProperty("quantization").GetProperty("crossLayerEqualization");

    private static bool TableSays(string outDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "calibration.json"))).RootElement.GetProperty("cross_layer_equalization").GetBoolean();

    [Theory]
    // weights of very different scales, bias 0, read back by the second Conv with inverse scales (every channel counts
    // alike in the output): the activation's channels span 1000x on one grid, equalization evens them out
    [InlineData("helps", "on")]
    // one channel of tiny weights and a large bias: equalization (which sees weights only) scales that channel's
    // constant activation up tenfold, widening the tensor's range for every other channel
    [InlineData("hurts", "off")]
    public void AutoQuantizesWithAndWithoutAndKeepsTheBetter(string kind, string expected)
    {
        var model = kind == "helps"
            ? Model(kind, c => MathF.Pow(10, c % 4 - 2), _ => 0, c => MathF.Pow(10, 2 - c % 4))
            : Model(kind, c => c == 0 ? 0.01f : 1, c => c == 0 ? 5 : 0);
        var outDir = _dir.File("out_" + kind);

        var result = CliRunner.Run(model, "-o", outDir, "--quantize", "int8", "--calibrate", Data("calib", 8));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var (off, on, chosen) = Measured(result.Stderr);
        Assert.Equal(on > off ? "on" : "off", chosen); // the better measured is kept, a tie keeps the model as it is
        Assert.True(Math.Abs(on - off) > 1, result.Stderr); // a real difference, not a tie
        Assert.Equal(expected, chosen);
        Assert.Equal(chosen == "on", Report(outDir).GetProperty("applied").GetBoolean());
        Assert.Equal(1, Report(outDir).GetProperty("pairs").GetInt32());
        Assert.Equal(chosen == "on", TableSays(outDir));
        Assert.Contains($"cross-layer equalization {chosen} (1 Conv pair; chosen by comparing the quantized models", File.ReadAllText(Path.Combine(outDir, "report.md")));
        // whichever was kept computes the input model's function, quantized
        var check = CliRunner.Run("validate", "--baseline", model, "--candidate", Path.Combine(outDir, "model.onnx"), "--data", Data("held_out", 4),
            "--max-accuracy-drop", "min-cosine=0.99");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    [Fact]
    public void OnAndOffAreTakenAsAskedAndATableKeepsItsOwnChoice()
    {
        var model = Model("m", c => MathF.Pow(10, c % 4 - 2), _ => 0);
        var calib = Data("calib", 4);
        foreach (var asked in new[] { "on", "off" })
        {
            var outDir = _dir.File("out_" + asked);
            var result = CliRunner.Run(model, "-o", outDir, "--quantize", "int8", "--calibrate", calib, "--cross-layer-equalization", asked);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.DoesNotContain("cross-layer equalization (1 Conv pair)", result.Stderr); // nothing compared
            Assert.Equal(asked == "on", Report(outDir).GetProperty("applied").GetBoolean());
            Assert.Equal($"--cross-layer-equalization {asked}", Report(outDir).GetProperty("why").GetString());
            Assert.Equal(asked == "on", TableSays(outDir));
        }

        // ranges calibrated without equalization do not fit the equalized model's tensors: refused, not used
        var table = Path.Combine(_dir.File("out_off"), "calibration.json");
        var refused = CliRunner.Run(model, "-o", _dir.File("refused"), "--quantize", "int8", "--calibration-table", table, "--cross-layer-equalization", "on");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("was calibrated without it", refused.Stderr);
        Assert.False(Directory.Exists(_dir.File("refused")));

        var reused = CliRunner.Run(model, "-o", _dir.File("reused"), "--quantize", "int8", "--calibration-table", table);
        Assert.True(reused.ExitCode == 0, reused.Stderr);
        Assert.False(Report(_dir.File("reused")).GetProperty("applied").GetBoolean());
        Assert.Equal("as the calibration table records it", Report(_dir.File("reused")).GetProperty("why").GetString());

        // a table written before the choice was recorded: the model it names by hash tells (not equalized here)
        var unrecorded = _dir.File("unrecorded.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(table))!.AsObject();
        Assert.True(node.Remove("cross_layer_equalization"));
        File.WriteAllText(unrecorded, node.ToJsonString());
        var old = CliRunner.Run(model, "-o", _dir.File("old"), "--quantize", "int8", "--calibration-table", unrecorded);
        Assert.True(old.ExitCode == 0, old.Stderr);
        Assert.False(Report(_dir.File("old")).GetProperty("applied").GetBoolean());
        Assert.Equal(2, CliRunner.Run(model, "-o", _dir.File("old_on"), "--quantize", "int8", "--calibration-table", unrecorded, "--cross-layer-equalization", "on").ExitCode);
        // nor record nor a known model: equalized, as tables without the record were, and an explicit choice is taken
        node["model_hash"] = new string('0', 64);
        File.WriteAllText(unrecorded, node.ToJsonString());
        var unknown = CliRunner.Run(model, "-o", _dir.File("unknown"), "--quantize", "int8", "--calibration-table", unrecorded);
        Assert.True(unknown.ExitCode == 0, unknown.Stderr);
        Assert.True(Report(_dir.File("unknown")).GetProperty("applied").GetBoolean());
        Assert.Equal(0, CliRunner.Run(model, "-o", _dir.File("unknown_off"), "--quantize", "int8", "--calibration-table", unrecorded, "--cross-layer-equalization", "off").ExitCode);
    }

    [Fact]
    public void DynamicInt8RefusesTheOption()
    {
        var result = CliRunner.Run(Model("d", _ => 1, _ => 0), "-o", _dir.File("out"), "--quantize", "int8", "--cross-layer-equalization", "on");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--cross-layer-equalization needs static INT8", result.Stderr);
    }

    [Fact]
    public void ThePipelineKeyIsTheOption()
    {
        var file = _dir.File("job.yaml");
        File.WriteAllText(file, "model: m.onnx\nquantize: int8\ncalibrate: calib\ncross-layer-equalization: off\n");

        var job = Assert.Single(PipelineFile.Read(file, file));

        Assert.Equal(["--cross-layer-equalization", "off"], job.Arguments.SkipWhile(a => a != "--cross-layer-equalization").Take(2));
        Assert.Empty(CommandLineApp.BuildRoot().Parse([.. job.Arguments]).Errors);
    }
}
