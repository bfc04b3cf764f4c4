using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Cli;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// <c>optimize MODEL --quantize int8 --calibrate DIR --target tensorrt --engine --require-int8</c> on every shared
/// model: the Q/DQ graph follows TensorRT's rules (int8 zero points of 0, scalar activation scales, per-channel
/// weight scales along the output channels) and the build passes the INT8 check of the found TensorRT version.
/// </summary>
public sealed class TensorRtQuantizationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    /// <summary>The size each dynamic dimension gets (a small one: the calibration data are random).</summary>
    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["arctic_embed_xs.onnx"] = "input_ids:1x16,attention_mask:1x16,token_type_ids:1x16",
        ["bert_mini.onnx"] = "input_ids:1x16,attention_mask:1x16",
        ["ch_PP-OCRv4_det_infer.onnx"] = "x:1x3x64x64",
        ["ch_ppocr_mobile_v2.0_cls_infer.onnx"] = "x:1x3x48x192",
        ["mobilenet_v2.onnx"] = "input:1x3x224x224",
        ["mobilenet_v2_bn.onnx"] = "input:1x3x224x224",
        ["silero_vad_legacy.onnx"] = "input:1x512,h:2x1x64,c:2x1x64",
        ["squeezenet1_1.onnx"] = "input:1x3x224x224",
    };

    public static IEnumerable<object[]> Models() => TestPaths.SharedModelFiles().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Models))]
    public void TheTensorRtLayoutFollowsTensorRtsRulesAndBuildsInInt8(string file)
    {
        var model = TestPaths.SharedModel(file);
        var shapes = Shapes[file];
        var calib = _dir.File(file + ".calib");
        WriteRandomSamples(model, shapes, calib, 4);
        var outDir = _dir.File(file + ".out");
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.3.0.26");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var code = CommandLineApp.Run([model, "-o", outDir, "--shapes", shapes, "--quantize", "int8", "--calibrate", calib, "--target", "tensorrt",
            "--engine", "--trtexec", trtexec, "--engine-duration", "0.05", "--require-int8"], stdout, stderr);

        output.WriteLine(stdout.ToString());
        Assert.True(code == 0, stderr.ToString());
        var quantized = ModelReader.Read(Path.Combine(outDir, "model.onnx"));
        var graphs = quantized.Graph.AllGraphs().ToList();
        var quantizers = graphs.SelectMany(g => g.Nodes).Where(n => n.OpType == "QuantizeLinear").ToList();
        var dequantizers = graphs.SelectMany(g => g.Nodes).Where(n => n.OpType == "DequantizeLinear").ToList();
        output.WriteLine($"{file}: {quantizers.Count} QuantizeLinear, {dequantizers.Count} DequantizeLinear");
        Assert.NotEmpty(quantizers); // the VAD's are inside its If branches, calibrated through outputs lifted to the main graph
        foreach (var q in quantizers)
        {
            var zero = q.Input(2)?.GetConstant() ?? throw new Xunit.Sdk.XunitException($"{q.Name} has no zero point");
            Assert.Equal(ElementType.Int8, zero.ElementType);
            Assert.All(zero.ToArray<sbyte>(), z => Assert.Equal(0, z));
            Assert.Empty(q.Input(1)!.GetConstant()!.Dims); // activations: per-tensor
        }
        foreach (var dq in dequantizers.Where(d => d.Input(0)!.GetConstant() is { ElementType: ElementType.Int8 }))
        {
            var weight = dq.Input(0)!.GetConstant()!;
            var scale = dq.Input(1)!.GetConstant()!;
            Assert.True(scale.ToArray<float>().All(s => s > 0), $"{dq.Name}: scales must be positive");
            if (scale.Dims.Count == 0) continue;
            var axis = (int)dq.GetInt("axis", 1);
            Assert.Equal(weight.Dims[axis], scale.Dims[0]);
            var consumer = dq.Output().Uses.Single().Node;
            // The output channels: K of KCRS conv weights, Gemm's rows with transB=1 and its columns without, MatMul's columns.
            var expected = consumer.OpType switch { "Conv" => 0, "Gemm" => consumer.GetInt("transB", 0) == 1 ? 0 : 1, _ => 1 };
            Assert.Equal(expected, axis);
        }
        var manifest = File.ReadAllText(Path.Combine(outDir, "manifest.json"));
        Assert.Contains("\"engine\"", manifest);
    }

    /// <summary>Seeded random samples for every input, with the values BERT's ids, masks and the VAD's rate need.</summary>
    private static void WriteRandomSamples(string model, string shapes, string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var dims = DataOptions.ParseShapes(shapes);
        using var session = SessionFactory.Create(model, SessionSettings.ForComparison);
        var random = new Random(7);
        for (var i = 0; i < count; i++)
            foreach (var input in ModelSignature.Of(session).Inputs)
            {
                var shape = dims.TryGetValue(input.Name, out var d) ? d : input.Dims;
                var n = (int)shape.Aggregate(1L, (a, b) => a * b);
                var tensor = input.ElementType == TensorElementType.Int64
                    ? HostTensor.FromArray(Enumerable.Range(0, n).Select(_ => input.Name switch
                    {
                        "sr" => 16000L,
                        var s when s.Contains("mask") => 1L,
                        var s when s.Contains("type") => 0L,
                        _ => random.Next(1, 1000),
                    }).ToArray(), shape)
                    : HostTensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), shape);
                NpyFormat.Write(Path.Combine(folder, $"{input.Name}_{i:D4}.npy"), tensor);
            }
    }

    public void Dispose() => _dir.Dispose();
}
