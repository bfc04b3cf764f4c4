using System.Text.Json;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// What <c>--quantize int8</c> says on stderr: the compute ops it quantized and those it left in float with the reason,
/// a warning when it quantized nothing, and one when the quantized model's outputs measured far from FP32's with no
/// budget to check them.
/// </summary>
public sealed class QuantizationSummaryTests : IDisposable
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DynamicInt8OfAConvOnlyModelWarnsThatNothingWasQuantizedAndWhy()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 0.3f, 4, 3, 3, 3)], ("pads", new long[] { 1, 1, 1, 1 }));
        y.Producer!.Name = "conv";
        b.Output(b.Op("Relu", [y]));
        var path = _dir.File("conv.onnx");
        ModelWriter.Write(b.Build(), path);

        var result = CliRunner.Run(path, "-o", _dir.File("out"), "--quantize", "int8");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("warning: INT8 (dynamic) quantized no node, so the model is written in float: 1 Conv (Conv stays float: ConvInteger", result.Stderr);
        Assert.Contains("note: static INT8 (--calibrate DIR) quantizes Conv", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(_dir.File(Path.Combine("out", "report.json"))));
        var left = report.RootElement.GetProperty("quantization").GetProperty("leftInFloat").EnumerateArray().ToList();
        Assert.Contains(left, l => l.GetProperty("node").GetString() == "conv" && l.GetProperty("opType").GetString() == "Conv");
    }

    [Theory]
    [InlineData(1000f, true)]  // one channel at 1000 that the weights ignore: the small values round to the zero point
    [InlineData(0.5f, false)]
    public void DynamicInt8FarFromFp32OnTheValidationDataIsWarnedAboutWithoutAGate(float outlier, bool warned)
    {
        var b = new GraphBuilder(seed: 9);
        var x = b.Input("x", ElementType.Float, 1, 16);
        var weights = b.RandomFloats([16, 8], 0.3f);
        for (var j = 0; j < 8; j++) weights[j] = 0; // row 0: the outlier channel reaches no output
        b.Output(b.Op("MatMul", [x, b.Initializer("w", weights, 16, 8)]));
        var path = _dir.File("mm.onnx");
        ModelWriter.Write(b.Build(), path);
        var data = _dir.File("data");
        Directory.CreateDirectory(data);
        var random = new Random(3);
        for (var i = 0; i < 4; i++)
        {
            var values = Enumerable.Range(0, 16).Select(k => k == 0 ? outlier : (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
            NpyFormat.Write(Path.Combine(data, $"x_{i:0000}.npy"), HostTensor.FromArray(values, [1, 16]));
        }

        var result = CliRunner.Run(path, "-o", _dir.File("out"), "--quantize", "int8", "--validate", data);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(warned, result.Stderr.Contains("warning: the INT8 model's worst output SQNR against FP32 on the --validate data is"));

        // a gate judges instead
        var gated = CliRunner.Run(path, "-o", _dir.File("gated"), "--quantize", "int8", "--validate", data, "--max-accuracy-drop", "sqnr=0");
        Assert.DoesNotContain("on the --validate data is", gated.Stderr);
    }

    [Fact]
    public void DynamicInt8CountsTheMatMulsItQuantizedNotTheConstantNodesThatHeldTheirWeights()
    {
        // without fusion the weights stay in Constant nodes, which go when their MatMul is quantized
        var b = new GraphBuilder(seed: 5);
        var x = b.Input("x", ElementType.Float, 2, 16);
        var w = b.Op("Constant", [], ("value", Tensor.FromArray("w", b.RandomFloats([16, 16], 0.3f), 16, 16)));
        var y = b.Op("MatMul", [x, w]);
        b.Output(b.Op("MatMul", [y, b.Op("Constant", [], ("value", Tensor.FromArray("w2", b.RandomFloats([16, 8], 0.3f), 16, 8)))]));
        var path = _dir.File("constants.onnx");
        ModelWriter.Write(b.Build(), path);

        var result = CliRunner.Run(path, "-o", _dir.File("out"), "--quantize", "int8", "--no-fuse");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("INT8 (dynamic, cpu): 2 nodes quantized (2 MatMul)", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(_dir.File(Path.Combine("out", "report.json"))));
        Assert.Equal(2, report.RootElement.GetProperty("quantization").GetProperty("quantizedNodes").GetInt32());
    }

    [Fact]
    public void DynamicInt8OfACnnCountsWhatItQuantizedAndPointsAtStaticForTheConvs()
    {
        var result = CliRunner.Run(TinyCnn, "-o", _dir.File("out"), "--quantize", "int8");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("INT8 (dynamic, cpu): 1 node quantized (1 Gemm); in float: 3 Conv (Conv stays float", result.Stderr);
        Assert.Contains("note: dynamic INT8 leaves the 3 Conv in float; static INT8 (--calibrate DIR) quantizes them", result.Stderr);
        Assert.DoesNotContain("quantized no node", result.Stderr);
    }

    [Theory]
    [InlineData(1000f, true)]
    [InlineData(1f, false)]
    public void StaticInt8FarFromFp32OnItsCalibrationSamplesIsWarnedAboutWithoutABudget(float outlier, bool warned)
    {
        // A transformer's outlier channel: channel 0 of the MatMul's input is about `outlier`, the rest about 1, and its
        // weight row is 0, so the output comes from the small channels alone; one uint8 scale for the whole input, set by
        // the outlier, leaves them a few steps.
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 64);
        var random = new Random(7);
        var w = Enumerable.Range(0, 64 * 16).Select(i => i < 16 ? 0f : (float)(random.NextDouble() - 0.5)).ToArray();
        b.Output(b.Op("MatMul", [x, b.Initializer("w", w, 64, 16)]));
        var path = _dir.File("mm.onnx");
        ModelWriter.Write(b.Build(), path);
        var data = Directory.CreateDirectory(_dir.File("calib")).FullName;
        for (var i = 0; i < 6; i++)
        {
            var values = Enumerable.Range(0, 64).Select(c => c == 0 ? outlier * (float)(1 + random.NextDouble()) : (float)(random.NextDouble() * 2 - 1)).ToArray();
            NpyFormat.Write(Path.Combine(data, $"x_{i:D4}.npy"), HostTensor.FromArray(values, [1, 64]));
        }

        var result = CliRunner.Run(path, "-o", _dir.File("out"), "--quantize", "int8", "--calibrate", data);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("INT8 (static, cpu): 1 node quantized (1 MatMul)", result.Stderr);
        Assert.True(warned == result.Stderr.Contains("warning: the INT8 model's worst output SQNR against FP32 on 6 calibration samples is"), result.Stderr);
        if (warned) Assert.Contains("--validate DIR --max-accuracy-drop", result.Stderr);
        // a MatMul model without Conv: the warning points at dynamic INT8 too
        Assert.Equal(warned, result.Stderr.Contains("--activations dynamic --smooth-quant auto"));
        // one method asked for: its model is measured all the same (entropy had read none of a recognizer's lines unwarned)
        var asked = CliRunner.Run(path, "-o", _dir.File("out_minmax"), "--quantize", "int8", "--calibrate", data, "--calibration-method", "minmax");
        Assert.True(asked.ExitCode == 0, asked.Stderr);
        Assert.True(warned == asked.Stderr.Contains("warning: the INT8 model's worst output SQNR against FP32 on 6 calibration samples is"), asked.Stderr);
        Assert.Contains("- calibration method minmax as asked, its quantized model measured on 6 calibration samples", File.ReadAllText(Path.Combine(_dir.File("out_minmax"), "report.md")));
        if (!warned) return;
        // with --validate but no gate, only the gate is missing
        var validated = CliRunner.Run(path, "-o", _dir.File("out2"), "--quantize", "int8", "--calibrate", data, "--validate", data);
        Assert.True(validated.ExitCode == 0, validated.Stderr);
        Assert.Contains("give --max-accuracy-drop METRIC=VALUE with --validate, which returns", validated.Stderr);
        // ranges from the table: no calibration data here, so the figure is the table's and is said to be
        var fromTable = CliRunner.Run(path, "-o", _dir.File("out3"), "--quantize", "int8", "--calibration-table", _dir.File(Path.Combine("out", "calibration.json")));
        Assert.True(fromTable.ExitCode == 0, fromTable.Stderr);
        Assert.DoesNotContain("warning: the INT8 model's worst output SQNR", fromTable.Stderr);
        Assert.Contains("warning: calibration table calibration.json records that the INT8 model of the run that wrote it had a worst output SQNR against FP32 on its 6 calibration samples of",
            fromTable.Stderr);
        Assert.Contains("(as the calibration table records it: measured by the run that wrote the table)", File.ReadAllText(_dir.File(Path.Combine("out3", "report.md"))));
    }

    [Fact]
    public void StaticInt8OfATransformerStoresItsWordTableInt8AsDynamicDoes()
    {
        var result = CliRunner.Run(TestPaths.SharedModel("bert_mini.onnx"), "-o", _dir.File("out"), "--quantize", "int8",
            "--calibrate", Path.Combine(TestPaths.SharedModels, "bert_calib"), "--calibration-samples", "8", "--calibration-method", "minmax");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains(", 1 Gather", result.Stderr);
        var written = ModelReader.Read(_dir.File(Path.Combine("out", "model.onnx")));
        var table = Assert.Single(written.Graph.Initializers, v => v.ElementType == ElementType.Int8 && v.Uses.Any(u => u.Node.OpType == "Gather"));
        Assert.Equal(2, table.Initializer!.Dims.Count);
        // the float table (about 15 MiB of the 20 MiB model) is gone
        Assert.True(new FileInfo(_dir.File(Path.Combine("out", "model.onnx"))).Length < 8L << 20);
        using var report = JsonDocument.Parse(File.ReadAllText(_dir.File(Path.Combine("out", "report.json"))));
        Assert.Equal(1, report.RootElement.GetProperty("quantization").GetProperty("quantizedOpTypes").GetProperty("Gather").GetInt32());
        Assert.Matches(@"- static, for cpu; \d+ nodes quantized \(\d+ MatMul, .*1 Gather", File.ReadAllText(_dir.File(Path.Combine("out", "report.md"))));
    }

    [Theory]
    [InlineData("Conv", false, true, false)]    // a CNN far from FP32: warned, dynamic INT8 would not quantize its Conv
    [InlineData("MatMul", false, true, true)]   // a transformer: warned, and pointed at dynamic INT8
    [InlineData("MatMul", true, false, false)]  // a budget ran: it judged the model, no warning
    public void TheLowSqnrWarningFitsTheModelAndIsLeftToABudget(string op, bool budget, bool warned, bool dynamicHint)
    {
        var report = new Optimizer.Cli.Pipeline.QuantizationReport
        {
            Mode = "static",
            Target = "cpu",
            Method = "minmax",
            ComparedMethods = new Dictionary<string, double> { ["minmax"] = 12.9, ["percentile"] = 11.0 },
            ComparedBy = "sqnr",
            ComparedSamples = 19,
            QuantizedNodes = 4,
            QuantizedOpTypes = new Dictionary<string, int> { [op] = 3, ["Add"] = 1 },
            Budget = budget ? new Optimizer.Cli.Pipeline.BudgetReport(true, [], [], []) : null,
        };
        var stderr = new StringWriter();
        Optimizer.Cli.Pipeline.QuantizationSummary.Write(report, stderr);
        Assert.StartsWith($"INT8 (static, cpu): 4 nodes quantized (3 {op}, 1 Add)", stderr.ToString());
        Assert.Equal(warned, stderr.ToString().Contains("worst output SQNR against FP32 on 19 calibration samples is 12.9 dB (an error about 23 % of the signal)"));
        Assert.Equal(dynamicHint, stderr.ToString().Contains("--activations dynamic"));
    }
    [Fact]
    public void AReasonNamingOneTensorKeepsTheNameAndReasonsNamingSeveralReadOnce()
    {
        var report = new QuantizationReport
        {
            Mode = "static",
            Target = "cpu",
            QuantizedNodes = 3,
            QuantizedOpTypes = new Dictionary<string, int> { ["Conv"] = 3 },
            LeftInFloat =
            [
                new NodeReason("mm1", "input 'ids' is not float32 (or its type is unknown)") { OpType = "MatMul" },
                new NodeReason("c1", "'a' was never computed on the calibration data") { OpType = "Conv" },
                new NodeReason("c2", "'b' was never computed on the calibration data") { OpType = "Conv" },
            ],
        };
        var text = new StringWriter();
        QuantizationSummary.Write(report, text);
        var line = text.ToString();
        Assert.Contains("1 MatMul (input 'ids' is not float32", line);
        // the names differ: the first and how many others, not a bare ellipsis that reads like a name left out
        Assert.Contains("2 Conv ('a' (and 1 other) was never computed on the calibration data)", line);
        Assert.DoesNotContain("'…'", line);
    }
}
