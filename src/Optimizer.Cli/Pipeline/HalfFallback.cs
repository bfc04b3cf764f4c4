using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>optimize MODEL --quantize int8 --target tensorrt --engine</c> on a model that computes in float16: INT8 widens it
/// to float32 first, so a Q/DQ engine built with --int8 alone ran every layer left out of INT8 in FP32 (ISNet medium, a
/// float16 model: 370 of its 489 layers), slower than the FP16 engine the user had. Those layers get --fp16 instead, as
/// the input model computed them.
/// </summary>
public static class HalfFallback
{
    public static BuildSettings For(BuildSettings settings, OptimizeOptions options, TextWriter stderr)
    {
        if (settings.Precision != EnginePrecision.Auto || options.Quantize is not { Half: null } || !File.Exists(options.ModelPath)) return settings;
        if (WidenHalfPrecision.HalfWeightedNodes(ModelReader.Read(options.ModelPath)).Count == 0) return settings;
        stderr.WriteLine("note: the input model computes in float16: where trtexec takes precision flags (TensorRT 8.6 to 10.11), the INT8 engine gets --fp16 "
                         + "beside --int8, so the layers left out of INT8 run in FP16 as they did (--engine-precision int8 keeps them FP32)");
        return settings with { HalfFallback = true };
    }
}
