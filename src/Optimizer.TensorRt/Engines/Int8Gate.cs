namespace Optimizer.TensorRt.Engines;

/// <summary>
/// --require-int8: a Q/DQ model's quantized layers must run in INT8. A layer that fell back to FP16/FP32 (for example
/// a Conv with Q/DQ on its activation but not on its weights) fails the gate; so does a build without layer
/// information to check.
/// </summary>
public static class Int8Gate
{
    /// <summary>Null when the gate holds, else why it does not.</summary>
    public static string? Check(EngineBuildResult result, bool modelIsQdq)
    {
        if (!modelIsQdq) return "--require-int8: the model has no Q/DQ nodes, so nothing in it is quantized; quantize it first (--quantize int8).";
        if (result.Layers is not { } layers) return "--require-int8: trtexec exported no layer information, so INT8 execution cannot be checked.";
        if (layers.FellBack.Count > 0)
            return $"--require-int8: {layers.FellBack.Count} quantized layer(s) fell back to a higher precision: {string.Join(", ", layers.FellBack)}.";
        return layers.Int8 == 0 ? "--require-int8: no layer of the engine runs in INT8." : null;
    }
}
