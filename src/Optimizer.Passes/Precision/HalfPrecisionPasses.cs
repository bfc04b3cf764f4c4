using Optimizer.Passes.Analysis;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Precision;

/// <summary>The passes of <c>--quantize fp16|bf16</c>, in order, after the FP32 passes.</summary>
public static class HalfPrecisionPasses
{
    public static IReadOnlyList<IPass> For(HalfPrecisionConversion conversion) =>
    [
        // bfloat16 types are valid in ONNX's schemas for most ops only from opset 22 (a no-op for float16).
        .. conversion.Target == Onnx.IR.ElementType.BFloat16 ? [new BFloat16Opset()] : Array.Empty<IPass>(),
        // The conversion reads every value's element type and the reductions' shapes.
        new InferShapes(),
        conversion,
        // The Casts the conversion met or made that cancel (f16 -> f32 -> f16 where a float32 node sat between
        // converted ones and was itself converted later, duplicates of one value).
        new CastCleanup(),
        // The Identity nodes the FP32 cleanup had to keep, because they give a body's output an outer or input value,
        // now stand between a converted value and the Cast that keeps the body's output float32: removable, in every graph.
        new EliminateIdentity(),
        new EliminateDeadCode(),
        // Types for every new value; intermediate shapes dropped as the FP32 pipeline does (see its comment).
        new InferShapes(),
        new DropIntermediateShapes(),
    ];
}
