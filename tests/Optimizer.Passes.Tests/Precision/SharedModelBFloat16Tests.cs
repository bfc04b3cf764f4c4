using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// Every shared model converted to bfloat16: the types are right (every converted node computes in bfloat16, no
/// float16 anywhere, the interface stays float32, the weights are bfloat16), and ONNX Runtime either runs it with
/// cosine at least 0.99 per output against FP32 or refuses it for a missing bfloat16 kernel (its CPU provider, unlike
/// for float16, inserts no casts around them), which the test reports.
/// </summary>
public sealed class SharedModelBFloat16Tests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => SharedModelHalfPrecisionTests.Models;

    [Theory]
    [MemberData(nameof(Models))]
    public void BFloat16TypesAreRightAndOnnxRuntimeRunsOrNamesTheMissingKernel(string stem)
    {
        var model = ModelReader.Read(TestPaths.SharedModel(stem + ".onnx"));
        // As --quantize bf16 does: up to opset 21 with the FP32 passes; the conversion raises it to 22.
        Pipelines.RunDefault(model, new PassOptions { TargetOpset = BFloat16Opset.UpgradeTarget });
        var fp32 = ModelWriter.ToBytes(model);
        var (result, _) = HalfPrecisionSupport.Convert(model, new HalfPrecisionSettings { Target = ElementType.BFloat16 });
        Assert.True(result.ConvertedNodes > 0);
        Assert.Equal(BFloat16Opset.Required, model.GetOpset());
        Assert.Empty(result.Clamped);
        var values = model.AllGraphs().SelectMany(g => g.DefinedValues()).ToList();
        Assert.DoesNotContain(values, v => v.ElementType == ElementType.Float16);
        Assert.All(model.Graph.Inputs.Concat(model.Graph.Outputs).Where(v => !v.IsInitializer && v.ElementType is ElementType.Float or ElementType.BFloat16),
            v => Assert.Equal(ElementType.Float, v.ElementType));
        var bf16Bytes = values.Where(v => v.Initializer is { ElementType: ElementType.BFloat16 }).Sum(v => v.Initializer!.ByteCount);
        var f32Bytes = values.Where(v => v.Initializer is { ElementType: ElementType.Float }).Sum(v => v.Initializer!.ByteCount);
        var bytes = ModelWriter.ToBytes(model);
        output.WriteLine($"{stem}: {result.ConvertedNodes} nodes in bfloat16, {result.KeptFloat.Count} kept float32; weights {bf16Bytes} B bfloat16, {f32Bytes} B float32; size ratio {(double)bytes.Length / fp32.Length:0.000}");
        foreach (var c in HalfPrecisionReferenceCases.For(stem))
        {
            Dictionary<string, TestTensor> actual;
            try
            {
                actual = OrtRunner.Run(bytes, c.Inputs);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e) when (e.Message.Contains("Could not find an implementation", StringComparison.Ordinal))
            {
                output.WriteLine($"  ONNX Runtime's CPU provider does not run it: {e.Message.Split('\n')[0]}");
                return;
            }
            foreach (var (name, e) in OrtRunner.Run(fp32, c.Inputs))
            {
                var cosine = HalfPrecisionSupport.Cosine(e, actual[name]);
                output.WriteLine($"  runs: {c.Name}/{name}: cosine {cosine:0.000000}, max |diff| {HalfPrecisionSupport.MaxAbsDiff(e, actual[name]):E2}");
                Assert.InRange(cosine, 0.99, 1.000001);
            }
        }
    }
}
