using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>Builds a graph, runs inference and reads back the written types.</summary>
internal static class InferenceTestHelpers
{
    /// <summary>Runs inference on the builder's model and returns the result; fails the test on a diagnostic.</summary>
    public static ShapeInferenceResult Infer(GraphBuilder b, bool allowDiagnostics = false)
    {
        var result = ShapeInference.Run(b.Build());
        if (!allowDiagnostics) Assert.Empty(result.Diagnostics);
        return result;
    }

    /// <summary>The written type as text: f32[batch,16,112,112], or "none".</summary>
    public static string TypeOf(Value v) => v.Type?.ToString() ?? "none";

    public static long[] I64(params long[] values) => values;

    /// <summary>An int64 vector constant node.</summary>
    public static Value Ints(GraphBuilder b, params long[] values) => b.Constant(Tensor.FromArray("c", values, values.Length));

    public static Value Scalar(GraphBuilder b, long value) => b.Constant(Tensor.Scalar("c", value));
}
