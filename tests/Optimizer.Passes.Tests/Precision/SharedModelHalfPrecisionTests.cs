using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// Every model in ../shared/models through the default pipeline and then float16 with the defaults: the converted
/// model runs in ONNX Runtime at every optimization level on the reference inputs with cosine at least 0.999 per output against
/// the FP32 model, meets the type rules, has no Cast round trip that cancels, and is about half the size.
/// </summary>
public sealed class SharedModelHalfPrecisionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new(TestPaths.SharedModelFiles().Select(Path.GetFileNameWithoutExtension)!);

    [Theory]
    [MemberData(nameof(Models))]
    public void Float16KeepsEveryOutputWithinCosine0999(string stem)
    {
        var path = TestPaths.SharedModel(stem + ".onnx");
        var model = ModelReader.Read(path);
        Pipelines.RunDefault(model);
        var fp32 = ModelWriter.ToBytes(model);
        var (result, _) = HalfPrecisionSupport.Convert(model, new HalfPrecisionSettings());
        var fp16 = ModelWriter.ToBytes(model);
        output.WriteLine($"{stem}: {fp32.Length} -> {fp16.Length} bytes (ratio {(double)fp16.Length / fp32.Length:0.000}); {result.ConvertedNodes} nodes converted, "
                         + $"{result.KeptFloat.Count} kept float32, {result.CastsInserted} casts, {result.Clamped.Count} constants clamped");
        foreach (var k in result.KeptFloat.Take(10)) output.WriteLine($"  kept {k.OpType} {k.Node}: {k.Reason}");
        foreach (var c in HalfPrecisionReferenceCases.For(stem))
        foreach (var level in Levels)
        {
            var expected = OrtRunner.Run(fp32, c.Inputs);
            var actual = OrtRunner.Run(fp16, c.Inputs, level);
            foreach (var (name, e) in expected)
            {
                Assert.Equal(ElementType.Float, actual[name].Type);
                var cosine = HalfPrecisionSupport.Cosine(e, actual[name]);
                var diff = HalfPrecisionSupport.MaxAbsDiff(e, actual[name]);
                output.WriteLine($"  {c.Name}/{name} ({level}): cosine {cosine:0.000000}, max |diff| {diff:E2}");
                Assert.InRange(cosine, 0.999, 1.000001);
                if (stem == "silero_vad_legacy") Assert.InRange(diff, 0, 1e-2);
                if (stem.StartsWith("ch_ppocr_mobile", StringComparison.Ordinal))
                    Assert.Equal(ArgMax(e.AsDoubles()), ArgMax(actual[name].AsDoubles()));
            }
        }
        // Silero VAD keeps its STFT front end float32 (a 2^20 scale before its Log, see OutOfRangeScales): its basis weights stay 4 bytes each,
        // a larger part of the FP32 model since the weights its If branches shared are stored once (0.647 of 985 KiB).
        Assert.InRange((double)fp16.Length / fp32.Length, 0.45, stem == "silero_vad_legacy" ? 0.66 : 0.56);
    }

    /// <summary>The converted model runs at every ONNX Runtime optimization level (its fusions must accept the half graph).</summary>
    private static readonly GraphOptimizationLevel[] Levels =
        [GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_BASIC, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphOptimizationLevel.ORT_ENABLE_ALL];

    private static int ArgMax(double[] x) => Array.IndexOf(x, x.Max());
}

/// <summary>The reference inputs of a shared model: meta.json's, and the OCR classifier's 180° rotation.</summary>
public static class HalfPrecisionReferenceCases
{
    public sealed record NamedCase(string Name, Dictionary<string, TestTensor> Inputs);

    public static IEnumerable<NamedCase> For(string stem)
    {
        yield return new NamedCase("ref", ReferenceData.SharedModelCase(stem).Inputs);
        var rotated = Path.Combine(ReferenceData.Folder(stem), "x_rot180.npy");
        if (File.Exists(rotated)) yield return new NamedCase("rot180", new() { ["x"] = ReferenceData.Npy(rotated) });
    }
}
