using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Cli.Tests;

/// <summary>
/// ONNX's backend test suite through <c>optimize MODEL --quantize int8</c> as users type it: dynamic, static calibrated
/// on the model's own test_data_set_0, static for TensorRT, and dynamic after SmoothQuant's auto choice on that data. Every model ONNX Runtime runs must either quantize (exit
/// 0) or be refused with one clear line (exit 2, the reason listed in <see cref="Declined"/>); a written model must run
/// in ONNX Runtime with its optimizations off and all on, give every float output its FP32 shape, no NaN the FP32 model
/// did not give, and a cosine of at least 0.99 against it; the TensorRT form must keep every zero point int8 0. The suite
/// gives most weights as graph inputs, which quantization rightly leaves alone: each such model is also run as a copy
/// whose weights are initializers (<see cref="WithFrozenWeights"/>).
/// </summary>
public sealed class BackendSuiteQuantizationTests(ITestOutputHelper output)
{
    /// <summary>
    /// The models every mode refuses besides those already quantized (which must say so), with a word of the reason.
    /// </summary>
    private static readonly Dictionary<string, string> Declined = new(StringComparer.Ordinal)
    {
        // scales given as a graph input: a shrinking nearest Upsample rounds differently as Resize, so opset 13 is refused
        ["test_upsample_nearest"] = "cannot upgrade Upsample",
    };

    private const string AlreadyQuantized = "already quantized";

    private static readonly HashSet<string> QuantizedOps =
        ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger"];

    private static readonly (string Name, string[] Args)[] Modes =
    [
        ("dynamic", ["--quantize", "int8"]),
        ("static", ["--quantize", "int8", "--calibrate", "{data}"]),
        ("tensorrt", ["--quantize", "int8", "--calibrate", "{data}", "--target", "tensorrt"]),
        ("smoothed", ["--quantize", "int8", "--activations", "dynamic", "--calibrate", "{data}", "--smooth-quant", "auto"]),
    ];

    private static readonly GraphOptimizationLevel[] Levels = [GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL];

    [Fact]
    public void EveryRunnableModelQuantizesOrIsRefusedClearlyAndRunsAtEveryLevel()
    {
        var problems = new List<string>();
        var refused = new Dictionary<string, int>(StringComparer.Ordinal);
        var quantized = Modes.ToDictionary(m => m.Name, _ => 0);
        var runnable = 0;
        var mustRefuse = new List<string>();
        using var dir = TestPaths.NewTempDir();
        foreach (var (name, path, data) in TestPaths.BackendModels().SelectMany(p => WithFrozenWeights(p, dir.Path)))
        {
            if (Fp32(path, data) is not var (inputs, expected, alreadyQuantized)) continue;
            runnable++;
            var refusal = alreadyQuantized ? AlreadyQuantized : Declined.GetValueOrDefault(name);
            if (refusal is not null) mustRefuse.Add(name);
            foreach (var (mode, args) in Modes)
            {
                var outDir = Path.Combine(dir.Path, name + "-" + mode);
                var result = CliRunner.Run([path, "-o", outDir, .. args.Select(a => a.Replace("{data}", data))]);
                var what = $"{name} ({mode})";
                if (result.ExitCode == 2)
                {
                    var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (refusal is null || !lines[^1].Contains(refusal, StringComparison.Ordinal) || !lines[^1].StartsWith("error: ", StringComparison.Ordinal))
                        problems.Add($"{what}: refused: {lines[^1]}");
                    refused[name] = refused.GetValueOrDefault(name) + 1;
                    continue;
                }
                if (result.ExitCode != 0)
                {
                    problems.Add($"{what}: exit {result.ExitCode}: {result.Stderr.Split('\n')[0]}");
                    continue;
                }
                var written = Path.Combine(outDir, "model.onnx");
                var model = ModelReader.Read(written);
                if (model.Graph.AllNodes().Any(n => n.OpType is "QuantizeLinear" or "DynamicQuantizeLinear" or "MatMulInteger" or "ConvInteger")) quantized[mode]++;
                if (mode == "tensorrt") problems.AddRange(NonZeroZeroPoints(model).Select(z => $"{what}: zero point of {z} is not int8 0"));
                var bytes = File.ReadAllBytes(written);
                foreach (var level in Levels)
                {
                    try
                    {
                        var actual = OrtRunner.Run(bytes, inputs, level);
                        problems.AddRange(Differences(expected, actual).Select(d => $"{what} at {level}: {d}"));
                    }
                    catch (OnnxRuntimeException e)
                    {
                        problems.Add($"{what} at {level}: ONNX Runtime: {e.Message.Split('\n')[0]}");
                    }
                }
            }
        }
        output.WriteLine($"{runnable} runnable models; quantized: {string.Join(", ", quantized.Select(q => $"{q.Key} {q.Value}"))}; refused: {refused.Count}");
        foreach (var p in problems) output.WriteLine(p);
        Assert.True(runnable > 700, $"only {runnable} backend models ran in ONNX Runtime");
        Assert.Empty(problems);
        // each listed model refused in every mode, and no other: a fix that lets one through must update the list
        Assert.Equal(mustRefuse.Order(StringComparer.Ordinal), refused.Where(r => r.Value == Modes.Length).Select(r => r.Key).Order(StringComparer.Ordinal));
        // the models with constant weights (the suite's own, and the copies with frozen weights) are quantized, not passed through
        Assert.True(quantized["dynamic"] >= 10 && quantized["smoothed"] >= 10 && quantized["static"] >= 40 && quantized["tensorrt"] >= 60, string.Join(", ", quantized));
    }

    private static readonly Dictionary<string, int[]> WeightSlots = new(StringComparer.Ordinal)
    {
        ["Conv"] = [1, 2], ["ConvTranspose"] = [1, 2], ["MatMul"] = [1], ["Gemm"] = [1, 2], ["LSTM"] = [1, 2, 3], ["GRU"] = [1, 2, 3], ["Gather"] = [0],
    };

    /// <summary>
    /// The backend model as it is, and, when its weights are graph inputs (as the suite gives Conv, MatMul, Gemm, LSTM
    /// and Gather), a copy with those inputs made initializers holding their test_data_set_0 values, beside a data
    /// folder of the other inputs: as an exporter would write a trained model, so that quantization has weights to work on.
    /// </summary>
    private static IEnumerable<(string Name, string Path, string Data)> WithFrozenWeights(string path, string temp)
    {
        var name = Path.GetFileName(Path.GetDirectoryName(path))!;
        var data = Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0");
        yield return (name, path, data);
        Model model;
        try
        {
            model = ModelReader.Read(path);
        }
        catch (Onnx.Errors.OptimizerException)
        {
            yield break;
        }
        var inputs = model.Graph.Inputs.Where(v => !v.IsInitializer).ToList();
        var weights = inputs.Where(v => v.Uses.Count > 0 && v.Uses.All(u => WeightSlots.TryGetValue(u.Node.OpType, out var slots) && slots.Contains(u.InputIndex))).ToList();
        if (weights.Count == 0 || weights.Count == inputs.Count || inputs.Any(v => !File.Exists(Path.Combine(data, $"input_{inputs.IndexOf(v)}.pb")))) yield break;
        var frozen = Path.Combine(temp, name + "_frozen");
        var frozenData = Path.Combine(frozen, "test_data_set_0");
        Directory.CreateDirectory(frozenData);
        var kept = 0;
        foreach (var (input, i) in inputs.Select((v, i) => (v, i)))
        {
            var file = Path.Combine(data, $"input_{i}.pb");
            if (!weights.Contains(input))
            {
                File.Copy(file, Path.Combine(frozenData, $"input_{kept++}.pb"));
                continue;
            }
            var tensor = TensorFile.Read(file);
            tensor.Name = input.Name + "_weight";
            input.ReplaceAllUsesWith(model.Graph.AddInitializer(tensor));
            model.Graph.RemoveInput(input);
        }
        var frozenPath = Path.Combine(frozen, "model.onnx");
        File.WriteAllBytes(frozenPath, ModelWriter.ToBytes(model));
        yield return (name + "_frozen", frozenPath, frozenData);
    }

    /// <summary>
    /// The inputs of test_data_set_0, the model's float outputs on them and whether it holds quantized ops already; null
    /// when ONNX Runtime cannot run it here.
    /// </summary>
    private static (Dictionary<string, TestTensor> Inputs, Dictionary<string, TestTensor> Outputs, bool Quantized)? Fp32(string path, string data)
    {
        try
        {
            var model = ModelReader.Read(path);
            var inputs = new Dictionary<string, TestTensor>(StringComparer.Ordinal);
            var graphInputs = model.Graph.Inputs.Where(v => !v.IsInitializer).ToList();
            for (var i = 0; i < graphInputs.Count; i++)
            {
                var file = Path.Combine(data, $"input_{i}.pb");
                if (!File.Exists(file)) return null;
                inputs[graphInputs[i].Name] = TestTensor.FromTensor(TensorFile.Read(file));
            }
            var outputs = OrtRunner.Run(File.ReadAllBytes(path), inputs);
            if (Differences(outputs, OrtRunner.Run(File.ReadAllBytes(path), inputs)).Any()) return null; // a random op: no reference
            return (inputs, outputs.Where(o => o.Value.Type == ElementType.Float).ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal),
                model.Graph.AllNodes().Any(n => QuantizedOps.Contains(n.OpType)));
        }
        catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException or Onnx.Errors.OptimizerException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Differences(Dictionary<string, TestTensor> expected, Dictionary<string, TestTensor> actual)
    {
        foreach (var (name, e) in expected)
        {
            if (!actual.TryGetValue(name, out var a)) continue;
            if (!e.Dims.SequenceEqual(a.Dims) || e.Type != a.Type)
            {
                yield return $"{name}: {a.Type}[{string.Join(",", a.Dims)}] instead of {e.Type}[{string.Join(",", e.Dims)}]";
                continue;
            }
            var (x, y) = (e.AsDoubles(), a.AsDoubles());
            if (y.Any(double.IsNaN) && !x.Any(double.IsNaN)) yield return $"{name}: NaN where FP32 has none";
            else if (!x.Any(v => double.IsNaN(v) || double.IsInfinity(v)) && Cosine(x, y) is var c && !(c >= 0.99)) yield return $"{name}: cosine {c:0.0000}";
        }
    }

    private static double Cosine(double[] x, double[] y)
    {
        double xy = 0, xx = 0, yy = 0;
        for (var i = 0; i < x.Length; i++) (xy, xx, yy) = (xy + x[i] * y[i], xx + x[i] * x[i], yy + y[i] * y[i]);
        return xx == 0 && yy == 0 ? 1 : xy / Math.Sqrt(xx * yy);
    }

    /// <summary>The QuantizeLinear/DequantizeLinear nodes (in any graph) whose zero point is not an int8 zero.</summary>
    private static IEnumerable<string> NonZeroZeroPoints(Model model)
    {
        foreach (var node in model.Graph.AllNodes().Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear"))
        {
            var zp = node.Input(2);
            // absent: a uint8 zero for QuantizeLinear, which the TensorRT form must not produce (an int32 bias's DequantizeLinear has none)
            if (zp is null ? node.OpType == "QuantizeLinear" : zp.ElementType != ElementType.Int8 || zp.GetConstant() is not { } t || t.ToDoubles().Any(v => v != 0)) yield return node.Name;
        }
    }
}
