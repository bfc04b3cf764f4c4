using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// widen-half-precision: a model computing in float16 (as --quantize fp16 writes one, or as exporters publish them)
/// computes in float32 again, its weights exactly the float16 values, its interface as it was.
/// </summary>
public class WidenHalfPrecisionTests
{
    private static (Model Half, byte[] Fp32, byte[] HalfBytes) HalfMlp(bool keepIoTypes)
    {
        var b = HalfPrecisionConversionTests.Mlp();
        var fp32 = ModelWriter.ToBytes(b.Model);
        HalfPrecisionSupport.Convert(b.Model, new HalfPrecisionSettings { KeepIoTypes = keepIoTypes });
        return (b.Model, fp32, ModelWriter.ToBytes(b.Model));
    }

    private static bool IsHalf(ElementType t) => t is ElementType.Float16 or ElementType.BFloat16;

    [Fact]
    public void AHalfModelComputesInFloat32WithItsHalfWeightsExactly()
    {
        var (model, fp32, half) = HalfMlp(keepIoTypes: true);
        var halfWeights = model.Graph.Initializers.Where(v => v.Initializer!.ElementType == ElementType.Float16)
            .ToDictionary(v => v.Name, v => v.Initializer!.ToDoubles());
        Assert.NotEmpty(halfWeights);

        var run = PassHarness.Run(model, new WidenHalfPrecision());

        var g = run.Model.Graph;
        Assert.DoesNotContain(g.Initializers, v => IsHalf(v.Initializer!.ElementType));
        Assert.DoesNotContain(g.AllNodes().SelectMany(n => n.Outputs), v => v is not null && IsHalf(v.ElementType));
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "Cast" && IsHalf((ElementType)n.GetInt("to", 0)));
        foreach (var (name, values) in halfWeights)
            Assert.Equal(values, g.Initializers.Single(v => v.Name == name).Initializer!.ToDoubles());
        Assert.Equal(["x"], g.Inputs.Select(v => v.Name));
        Assert.Equal(ElementType.Float, g.Outputs.Single().ElementType);
        // float32 with the half weights: as close to the float32 model as the half one, or closer
        var inputs = OrtRunner.SeededInputs(ModelReader.Read(new MemoryStream(fp32), null));
        var expected = OrtRunner.Run(fp32, inputs).Values.Single().AsDoubles();
        var widened = OrtRunner.Run(run.Model, inputs).Values.Single().AsDoubles();
        var halfError = OrtRunner.RelativeError(expected, OrtRunner.Run(half, inputs).Values.Single().AsDoubles());
        Assert.InRange(OrtRunner.RelativeError(expected, widened), 0, halfError + 1e-6);
    }

    [Fact]
    public void AHalfInterfaceStaysHalfWithCastsAtTheBorders()
    {
        var (model, _, half) = HalfMlp(keepIoTypes: false);
        var output = model.Graph.Outputs.Single().Name;

        var run = PassHarness.Run(model, new WidenHalfPrecision());

        var g = run.Model.Graph;
        Assert.Equal(ElementType.Float16, g.Inputs.Single().ElementType);
        Assert.Equal((output, ElementType.Float16), (g.Outputs.Single().Name, g.Outputs.Single().ElementType));
        Assert.Equal(2, g.Nodes.Count(n => n.OpType == "Cast" && n.Input(0)!.Name != "steps"));
        var x = OrtRunner.SeededInputs(model);
        var widened = OrtRunner.Run(run.Model, x).Values.Single();
        Assert.Equal(ElementType.Float16, widened.Type);
        Assert.InRange(OrtRunner.RelativeError(OrtRunner.Run(half, x).Values.Single().AsDoubles(), widened.AsDoubles()), 0, 2e-3);
    }

    [Fact]
    public void AFloat32ModelIsLeftAsItIs()
    {
        var b = HalfPrecisionConversionTests.Mlp();
        var before = ModelWriter.ToBytes(b.Model);
        var context = new PassContext();
        Assert.Equal(0, new WidenHalfPrecision().Run(b.Model, context).Rewrites);
        Assert.Equal(before, ModelWriter.ToBytes(b.Model));
    }
}
