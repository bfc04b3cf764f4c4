using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize MODEL --quantize int8</c> as users type it: static with --calibrate (and the table it writes reused
/// with --calibration-table), dynamic without, the TensorRT layout, and the refusals.
/// </summary>
public class QuantizeCommandTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Calib = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "calib");
    private static readonly string Held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    [Fact]
    public void StaticQuantizationCalibratesWritesTheTableAndMeetsItsBudget()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib,
            "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.Contains(model.Graph.Initializers, v => v.ElementType == ElementType.Int8);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var q = report.RootElement.GetProperty("quantization");
        Assert.Equal("static", q.GetProperty("mode").GetString());
        Assert.Equal(20, q.GetProperty("samples").GetInt32());
        Assert.True(q.GetProperty("quantizedNodes").GetInt32() >= 4);
        Assert.True(report.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
        AssertCosineGatePassed(report.RootElement, 0.99);
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        var mq = manifest.RootElement.GetProperty("quantization");
        Assert.Equal(64, mq.GetProperty("calibrationDataSha256").GetString()!.Length);
        Assert.Contains("INT8 quantization", File.ReadAllText(dir.File("report.md")));
        Assert.True(File.Exists(dir.File("calibration.json")));
        Assert.False(File.Exists(dir.File("calibration.cache")));
    }

    [Fact]
    public void AutoCountsTheMethodsItChoseAndTheReportTimesTheCalibration()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--calibration-method", "auto");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("calibrated 20 samples in ", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var q = report.RootElement.GetProperty("quantization");
        Assert.Equal("auto", q.GetProperty("method").GetString());
        Assert.True(q.GetProperty("calibrationSeconds").GetDouble() > 0);
        Assert.InRange(q.GetProperty("calibrationDataWaitSeconds").GetDouble(), 0, q.GetProperty("calibrationSeconds").GetDouble());
        Assert.Contains("s of it waiting for data)", result.Stderr);
        var chosen = q.GetProperty("chosenMethods").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(["minmax", "percentile", "entropy"], chosen.Keys);
        using var table = JsonDocument.Parse(File.ReadAllText(dir.File("calibration.json")));
        var ranges = table.RootElement.GetProperty("ranges").EnumerateObject().ToList();
        Assert.Equal(ranges.Count, chosen.Values.Sum());
        Assert.All(ranges, r => Assert.Contains(r.Value.GetProperty("method").GetString(), chosen.Keys));
        var md = File.ReadAllText(dir.File("report.md"));
        Assert.Contains("- auto chose per tensor: minmax ", md);
        Assert.Matches(@"- calibration took \d+\.\d\d s \(\d+\.\d samples/s\)", md);
    }

    [Fact]
    public void TheDefaultQuantizesWithMinMaxAndPercentileAndKeepsTheModelCloserToFp32()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("best"), "--quantize", "int8", "--calibrate", Calib);
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        using var table = JsonDocument.Parse(File.ReadAllText(dir.File("best/calibration.json")));
        var compared = table.RootElement.GetProperty("compared").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(["minmax", "percentile"], compared.Keys);
        Assert.Equal(20, table.RootElement.GetProperty("compared_samples").GetInt32());
        var kept = table.RootElement.GetProperty("method").GetString()!;
        Assert.Equal(compared.MaxBy(c => c.Value).Key, kept);
        Assert.Contains($"calibration method: {kept} (worst output SQNR against FP32 on 20 calibration samples: minmax ", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("best/report.json")));
        Assert.Equal(kept, report.RootElement.GetProperty("quantization").GetProperty("method").GetString());
        Assert.Contains("- calibration method chosen by comparing the quantized models on 20 calibration samples", File.ReadAllText(dir.File("best/report.md")));

        // Each figure is the one validate measures for that method's model on the same samples, run as deployed.
        foreach (var (method, sqnr) in compared)
        {
            Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", dir.File(method), "--quantize", "int8", "--calibrate", Calib, "--calibration-method", method).ExitCode);
            var validate = CliRunner.Run("validate", "--baseline", TinyCnn, "--candidate", dir.File($"{method}/model.onnx"), "--data", Calib, "--ort-optimizations", "--json");
            var measured = JsonDocument.Parse(validate.Stdout).RootElement.GetProperty("outputs").EnumerateArray().Min(o => o.GetProperty("sqnrDb").GetDouble());
            Assert.Equal(sqnr, measured, 1);
        }
        Assert.Equal(File.ReadAllBytes(dir.File($"{kept}/model.onnx")), File.ReadAllBytes(dir.File("best/model.onnx")));
    }

    [Fact]
    public void WithABudgetTheMethodsAreComparedByItsFirstGateOnItsData()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--validate", Held, "--max-accuracy-drop", "min-cosine=0.99,sqnr=20");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        using var table = JsonDocument.Parse(File.ReadAllText(dir.File("calibration.json")));
        var root = table.RootElement;
        Assert.Equal("min-cosine", root.GetProperty("compared_by").GetString());
        Assert.Equal(Held, root.GetProperty("compared_on").GetString());
        var compared = root.GetProperty("compared").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.All(compared.Values, v => Assert.InRange(v, 0.9, 1.0));
        Assert.Equal(compared.MaxBy(c => c.Value).Key, root.GetProperty("method").GetString());
        Assert.Contains($"(min-cosine against FP32 on {Directory.GetFiles(Held, "*.npy").Length} samples of {Held}: minmax ", result.Stderr);
    }

    [Fact]
    public void TheCalibrationTableReproducesTheSameModelWithoutData()
    {
        using var first = TestPaths.NewTempDir();
        using var second = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", first.Path, "--quantize", "int8", "--calibrate", Calib).ExitCode);
        var result = CliRunner.Run(TinyCnn, "-o", second.Path, "--quantize", "int8", "--calibration-table", first.File("calibration.json"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(File.ReadAllBytes(first.File("model.onnx")), File.ReadAllBytes(second.File("model.onnx")));
    }

    [Fact]
    public void ATableThatLacksTheModelsTensorsIsRefusedNamingThem()
    {
        using var first = TestPaths.NewTempDir();
        using var second = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", first.Path, "--quantize", "int8", "--calibrate", Calib).ExitCode);
        var table = JsonDocument.Parse(File.ReadAllText(first.File("calibration.json"))).RootElement;
        var firstTensor = table.GetProperty("ranges").EnumerateObject().First().Name;
        var text = File.ReadAllText(first.File("calibration.json")).Replace($"\"{firstTensor}\"", "\"not_in_this_model\"");
        File.WriteAllText(first.File("stale.json"), text);

        var result = CliRunner.Run(TinyCnn, "-o", second.Path, "--quantize", "int8", "--calibration-table", first.File("stale.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(firstTensor, result.Stderr);
        Assert.False(File.Exists(second.File("model.onnx")));
    }

    [Fact]
    public void TheTensorRtTargetIsSymmetricAndWritesTensorRtsCalibrationCache()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--target", "tensorrt");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var model = ModelReader.Read(dir.File("model.onnx"));
        var quantizers = model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.NotEmpty(quantizers);
        foreach (var q in quantizers)
        {
            var zero = q.Input(2)!.GetConstant()!;
            Assert.Equal(ElementType.Int8, zero.ElementType);
            Assert.All(zero.ToArray<sbyte>(), z => Assert.Equal(0, z));
            Assert.Empty(q.Input(1)!.GetConstant()!.Dims);
        }
        var cache = File.ReadAllLines(dir.File("calibration.cache"));
        Assert.Matches(@"^TRT-\d+-EntropyCalibration2$", cache[0]);
        Assert.All(cache.Skip(1), line => Assert.Matches(@"^.+: [0-9a-f]{8}$", line));
    }

    [Fact]
    public void WithoutCalibrationDataTheQuantizationIsDynamic()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "DynamicQuantizeLinear");
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.Equal("dynamic", report.RootElement.GetProperty("quantization").GetProperty("mode").GetString());
        AssertCosineGatePassed(report.RootElement, 0.99);
        Assert.False(File.Exists(dir.File("calibration.json")));
    }

    [Fact]
    public void WithinABudgetDynamicWeightsArePerTensorWhenThatHoldsAndPerChannelOtherwise()
    {
        using var dir = TestPaths.NewTempDir();
        // a loose budget: one scale per tensor holds it and is kept
        var loose = CliRunner.Run(TinyCnn, "-o", dir.File("loose"), "--quantize", "int8", "--validate", Held, "--max-accuracy-drop", "cosine=0.99");
        Assert.True(loose.ExitCode == 0, loose.Stderr);
        Assert.Contains("weights per tensor hold the accuracy budget", loose.Stderr);
        var scale = ModelReader.Read(dir.File(Path.Combine("loose", "model.onnx"))).Graph.Initializers.Single(v => v.Name.EndsWith("_scale", StringComparison.Ordinal));
        Assert.Equal(1, scale.Initializer!.ElementCount);
        Assert.True(Quantization(dir.File("loose")).GetProperty("weightsPerTensorByBudget").GetBoolean());

        // a budget per tensor misses: the rounds go on per output channel (here until the Gemm is back in float)
        var tight = CliRunner.Run(TinyCnn, "-o", dir.File("tight"), "--quantize", "int8", "--validate", Held, "--max-accuracy-drop", "min-cosine=0.9999999");
        Assert.True(tight.ExitCode == 0, tight.Stderr);
        Assert.Contains("weights per output channel, as per tensor missed the accuracy budget", tight.Stderr);
        var q = Quantization(dir.File("tight"));
        Assert.False(q.GetProperty("weightsPerTensorByBudget").GetBoolean());
        var steps = q.GetProperty("budget").GetProperty("steps");
        Assert.Equal("per tensor", steps[0].GetProperty("weights").GetString());
        Assert.False(steps[0].GetProperty("passed").GetBoolean());
        Assert.False(steps[1].TryGetProperty("weights", out _));

        // --per-tensor given decides alone: no trial round
        var given = CliRunner.Run(TinyCnn, "-o", dir.File("given"), "--quantize", "int8", "--per-tensor", "--validate", Held, "--max-accuracy-drop", "cosine=0.99");
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.DoesNotContain("weights per", given.Stderr);
        Assert.False(Quantization(dir.File("given")).TryGetProperty("weightsPerTensorByBudget", out _));
    }

    private static JsonElement Quantization(string outDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement.GetProperty("quantization").Clone();

    [Theory]
    [InlineData("1", false)]
    [InlineData("2", true)]
    public void ThreadsSetHowManySamplesCalibrateAtOnce(string threads, bool two)
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--threads", threads);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches(@"calibrated 20 samples in [\d.]+ s \(", result.Stderr);
        Assert.Equal(two, result.Stderr.Contains("(2 at a time", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--threads 0: expected at least 1", "--quantize", "int8", "--threads", "0")]
    [InlineData("needs --quantize int8", "--calibrate", "CALIB")]
    [InlineData("expected int8", "--quantize", "int4")]
    [InlineData("expected best, minmax, percentile, entropy or auto", "--quantize", "int8", "--calibrate", "CALIB", "--calibration-method", "mean")]
    [InlineData("needs --calibrate", "--quantize", "int8", "--calibration-method", "entropy")]
    [InlineData("--target tensorrt needs --calibrate", "--quantize", "int8", "--target", "tensorrt")]
    [InlineData("expected cpu or tensorrt", "--quantize", "int8", "--calibrate", "CALIB", "--target", "gpu")]
    [InlineData("choose one", "--quantize", "int8", "--calibrate", "CALIB", "--calibration-table", "TABLE")]
    [InlineData("at most 100", "--quantize", "int8", "--calibrate", "CALIB", "--percentile", "120")]
    [InlineData("does not exist", "--quantize", "int8", "--calibrate", "/nonexistent/calibration")]
    [InlineData("--bias-correction needs --calibrate DIR", "--quantize", "int8", "--bias-correction")]
    [InlineData("--bias-correction needs --calibrate DIR", "--quantize", "int8", "--calibration-table", "TABLE", "--bias-correction")]
    [InlineData("--bias-correction needs --quantize int8", "--bias-correction")]
    [InlineData("--weight-rounding gptq needs --calibrate DIR", "--quantize", "int8", "--weight-rounding", "gptq")]
    [InlineData("expected nearest or gptq", "--quantize", "int8", "--calibrate", "CALIB", "--weight-rounding", "best")]
    [InlineData("--weight-rounding needs --quantize int8", "--weight-rounding", "gptq")]
    [InlineData("expected static or dynamic", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "int8")]
    [InlineData("--activations static needs --calibrate DIR or --calibration-table FILE", "--quantize", "int8", "--activations", "static")]
    [InlineData("--activations dynamic does not read --calibration-table", "--quantize", "int8", "--calibration-table", "TABLE", "--activations", "dynamic")]
    [InlineData("uses --calibrate DIR for --smooth-quant ALPHA only", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "dynamic")]
    [InlineData("--calibration-method needs static activations", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "dynamic", "--smooth-quant", "0.5", "--calibration-method", "entropy")]
    [InlineData("--weight-rounding gptq needs static activations", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "dynamic", "--smooth-quant", "0.5", "--weight-rounding", "gptq")]
    [InlineData("--bias-correction needs static activations", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "dynamic", "--smooth-quant", "0.5", "--bias-correction")]
    [InlineData("--activations needs --quantize int8", "--activations", "dynamic")]
    [InlineData("--target tensorrt needs static activations", "--quantize", "int8", "--calibrate", "CALIB", "--activations", "dynamic", "--smooth-quant", "0.5", "--target", "tensorrt")]
    [InlineData("--smooth-quant auto needs --activations dynamic", "--quantize", "int8", "--calibrate", "CALIB", "--smooth-quant", "auto")]
    [InlineData("--smooth-quant needs --calibrate DIR", "--quantize", "int8", "--smooth-quant", "auto")]
    [InlineData("expected a value from 0 to 1, or auto", "--quantize", "int8", "--calibrate", "CALIB", "--smooth-quant", "half")]
    [InlineData("expected a value from 0 to 1", "--quantize", "int8", "--calibrate", "CALIB", "--smooth-quant", "1.5")]
    public void BadQuantizationOptionsAreRefusedWithExitTwoAndNothingWritten(string message, params string[] options)
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("table.json"), "{}");
        var args = new[] { TinyCnn, "-o", dir.File("out") }
            .Concat(options.Select(o => o == "CALIB" ? Calib : o == "TABLE" ? dir.File("table.json") : o)).ToArray();

        var result = CliRunner.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void BiasCorrectionReportsTheChannelErrorItRemovedAndKeepsTheModelClose()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--bias-correction",
            "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var bc = report.RootElement.GetProperty("quantization").GetProperty("biasCorrection");
        Assert.True(bc.GetProperty("nodes").GetInt32() >= 2);
        var (before, after) = (bc.GetProperty("meanAbsChannelErrorBefore").GetDouble(), bc.GetProperty("meanAbsChannelErrorAfter").GetDouble());
        Assert.True(after < before, $"{before} -> {after}");
        Assert.Contains(report.RootElement.GetProperty("passResults").EnumerateArray(), p => p.GetProperty("name").GetString() == "bias-correction" && p.GetProperty("changed").GetBoolean());
        AssertCosineGatePassed(report.RootElement, 0.99);
        Assert.Contains("bias correction:", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void GptqRoundingReportsItsLayersAndKeepsTheModelClose()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--weight-rounding", "gptq",
            "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("GPTQ:", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var gptq = report.RootElement.GetProperty("quantization").GetProperty("gptq");
        Assert.True(gptq.GetProperty("layers").GetInt32() >= 2);
        var ratio = gptq.GetProperty("errorRatio").GetDouble();
        Assert.True(ratio is > 0 and < 1, $"{ratio}");
        Assert.Contains(report.RootElement.GetProperty("passResults").EnumerateArray(), p => p.GetProperty("name").GetString() == "weight-rounding" && p.GetProperty("changed").GetBoolean());
        AssertCosineGatePassed(report.RootElement, 0.99);
        Assert.Contains("weights rounded by GPTQ", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void ACorruptCalibrationTableIsRefusedNamingTheFile()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("table.json"), "{ not json");
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--quantize", "int8", "--calibration-table", dir.File("table.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("table.json", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("out/model.onnx")));
    }

    [Fact]
    public void AMissedBudgetReturnsTheMostSensitiveNodesToFloatUntilItHolds()
    {
        using var dir = TestPaths.NewTempDir();
        using var full = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", full.Path, "--quantize", "int8", "--calibrate", Calib).ExitCode);
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib,
            "--validate", Held, "--max-accuracy-drop", "sqnr=45");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("accuracy budget missed with 0 nodes in float", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var budget = report.RootElement.GetProperty("quantization").GetProperty("budget");
        Assert.True(budget.GetProperty("passed").GetBoolean());
        var kept = budget.GetProperty("keptInFloat").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(kept);
        Assert.True(budget.GetProperty("steps").GetArrayLength() >= 2);
        var ranking = budget.GetProperty("sensitivity").EnumerateArray().Select(e => Number(e.GetProperty("outputSqnrDb"))).ToList();
        Assert.Equal(ranking.Order().ToList(), ranking);
        Assert.True(report.RootElement.GetProperty("validation").GetProperty("outputs")[0].GetProperty("sqnrDb").GetDouble() >= 45);
        // The nodes kept in float have no quantized weights and no quantized output; the full quantization had more quantizers.
        var model = ModelReader.Read(dir.File("model.onnx"));
        var quantizers = model.Graph.Nodes.Count(n => n.OpType == "QuantizeLinear");
        Assert.True(quantizers < ModelReader.Read(full.File("model.onnx")).Graph.Nodes.Count(n => n.OpType == "QuantizeLinear"));
        Assert.All(kept.Select(name => model.Graph.Nodes.First(n => n.Name == name)), node =>
        {
            Assert.DoesNotContain(node.Inputs, i => i?.Producer is { OpType: "DequantizeLinear" } dq && dq.Input(0)!.GetConstant() is not null);
            Assert.DoesNotContain(node.Outputs.OfType<Value>().SelectMany(o => o.Uses), u => u.Node.OpType == "QuantizeLinear");
        });
        Assert.True(File.Exists(dir.File("layer_sqnr.png")));
        Assert.Contains("Per-layer error against FP32", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void ABudgetThatCannotHoldExitsOneWithTheLastModelWritten()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib,
            "--validate", Held, "--max-accuracy-drop", "sqnr=200");

        Assert.Equal(1, result.ExitCode);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.False(report.RootElement.GetProperty("quantization").GetProperty("budget").GetProperty("passed").GetBoolean());
        Assert.True(File.Exists(dir.File("model.onnx")));
    }

    /// <summary>A JSON number, or one of the named values ("Infinity") the reports write for exact layers.</summary>
    private static double Number(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetDouble();

    /// <summary>The report holds exactly the one cosine gate asked for, judged on a measured value that meets it.</summary>
    private static void AssertCosineGatePassed(JsonElement root, double threshold)
    {
        var gate = Assert.Single(root.GetProperty("validation").GetProperty("gates").EnumerateArray());
        Assert.Equal("cosine", gate.GetProperty("gate").GetString());
        Assert.Equal(threshold, gate.GetProperty("threshold").GetDouble());
        var actual = gate.GetProperty("actual").GetDouble();
        Assert.InRange(actual, threshold, 1.0 + 1e-9);
        Assert.True(gate.GetProperty("passed").GetBoolean());
        Assert.Equal(actual, root.GetProperty("validation").GetProperty("outputs").EnumerateArray().Min(o => o.GetProperty("cosineSimilarity").GetDouble()));
    }

    [Theory]
    [InlineData(0.65, null, true)]
    [InlineData(1.8, null, false)]
    [InlineData(0.65, 0.70, true)]  // the whole interval below 1: surely slower
    [InlineData(0.95, 1.04, false)] // below 1, but within the timing noise
    public void AnInt8ModelSlowerThanItsInputIsWarnedAbout(double speedup, double? high, bool warned)
    {
        using var dir = TestPaths.NewTempDir();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var estimate = high is { } h ? $", \"estimate\": {{\"high\": {h.ToString(c)}}}" : "";
        File.WriteAllText(dir.File("report.json"), $"{{\"latency\": {{\"speedup\": {speedup.ToString(c)}{estimate}}}}}");
        var stderr = new StringWriter();
        Optimizer.Cli.Pipeline.PipelineValidation.WarnWhenSlower(dir.Path, stderr);
        Assert.Equal(warned, stderr.ToString().Contains($"slower than the FP32 input here ({speedup:0.00}x"));
    }

    [Theory]
    [InlineData(false, 0.64, "warning: the INT8 model ran slower than the FP32 input here (0.64x at p50)")]
    [InlineData(true, 0.64, "note: the INT8 model for TensorRT ran slower than the FP32 input in ONNX Runtime here (0.64x at p50), as expected")]
    [InlineData(false, 0.997, "(0.997x at p50)")] // surely slower, yet 1.00 with two digits
    public void TheSlowerInt8LineFitsTheTargetAndShowsDigitsEnough(bool tensorRt, double speedup, string expected)
    {
        using var dir = TestPaths.NewTempDir();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        File.WriteAllText(dir.File("report.json"), $"{{\"latency\": {{\"speedup\": {speedup.ToString(c)}, \"estimate\": {{\"high\": {(speedup + 0.002).ToString(c)}}}}}}}");
        var stderr = new StringWriter();
        Optimizer.Cli.Pipeline.PipelineValidation.WarnWhenSlower(dir.Path, stderr, tensorRt);
        Assert.Contains(expected, stderr.ToString());
        Assert.Equal(tensorRt, stderr.ToString().Contains("time it on a GPU"));
    }

    [Theory]
    [InlineData("static", "QuantizeLinear")]
    [InlineData("dynamic", "DynamicQuantizeLinear")]
    public void AnAlreadyQuantizedModelIsRefusedNamingItsQuantizedOpsAndLeftUnchanged(string mode, string op)
    {
        using var dir = TestPaths.NewTempDir();
        var first = mode == "static"
            ? CliRunner.Run(TinyCnn, "-o", dir.File("int8"), "--quantize", "int8", "--calibrate", Calib)
            : CliRunner.Run(TinyCnn, "-o", dir.File("int8"), "--quantize", "int8");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var quantized = dir.File(Path.Combine("int8", "model.onnx"));
        var before = File.ReadAllBytes(quantized);

        var again = CliRunner.Run(quantized, "-o", dir.File("again"), "--quantize", "int8");

        Assert.Equal(2, again.ExitCode);
        Assert.Contains("the model is already quantized", again.Stderr);
        Assert.Matches($@"\d+ {op}", again.Stderr);
        Assert.DoesNotContain("   at ", again.Stderr);
        Assert.False(Directory.Exists(dir.File("again")));
        Assert.Equal(before, File.ReadAllBytes(quantized));
        // half precision would cast its integer accumulators to float16: refused too
        var half = CliRunner.Run(quantized, "-o", dir.File("half"), "--quantize", "fp16");
        Assert.Equal(2, half.ExitCode);
        Assert.Contains("already quantized", half.Stderr);
        Assert.Contains("--quantize fp16 starts from the FP32 model", half.Stderr);
        Assert.False(Directory.Exists(dir.File("half")));
        // without --quantize the other passes still run on it
        Assert.Equal(0, CliRunner.Run(quantized, "-o", dir.File("passes")).ExitCode);
    }

    [Theory]
    [InlineData("fp16", "float16")]
    [InlineData("bf16", "bfloat16")]
    public void AModelThatComputesInHalfPrecisionIsWidenedThenQuantized(string half, string weights)
    {
        // as isnet's published "medium" model: float32 only at its input and output, its Conv weights float16
        using var dir = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", dir.File("half"), "--quantize", half).ExitCode);
        var model16 = dir.File(Path.Combine("half", "model.onnx"));

        var result = CliRunner.Run(model16, "-o", dir.File("int8"), "--quantize", "int8", "--calibrate", Calib,
            "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches($@"note: the model computes in half precision \(\d+ Conv/MatMul/Gemm with {weights} weights\): widened to float32 first", result.Stderr);
        // ONNX Runtime has no CPU kernel for a bfloat16 Conv: the baseline and the data signature come from the widened model
        Assert.Equal(half == "bf16", result.Stderr.Contains("its half-precision computation is widened to float32 (the weights exactly) and compared as such"));
        var model = ModelReader.Read(dir.File(Path.Combine("int8", "model.onnx")));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.DoesNotContain(model.Graph.Initializers, v => v.ElementType is ElementType.Float16 or ElementType.BFloat16);
        Assert.Equal(ElementType.Float, model.Graph.Inputs.Single(v => !v.IsInitializer).ElementType);
        AssertCosineGatePassed(JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("int8", "report.json")))).RootElement, 0.99);
    }

    [Fact]
    public void AModelOfOtherDomainsOnlyHasNothingToQuantize()
    {
        // ONNX's training example imports only ai.onnx.preview.training: no ONNX operator, no opset to upgrade.
        var adagrad = Path.Combine(TestPaths.OnnxBackendData, "node", "test_adagrad", "model.onnx");
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(adagrad, "-o", dir.Path, "--quantize", "int8");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("imports no ONNX operator set", File.ReadAllText(dir.File("report.md")));
    }
}
