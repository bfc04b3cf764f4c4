using System.Globalization;
using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// The tensors whose calibrated range 8 bits cannot carry, found once the ranges are known. Nothing may quantize them:
/// a consumer that would read one through Q/DQ stays float, and so does a producer whose kernel must write it quantized.
/// <list type="bullet">
/// <item>A sentinel: a bound of magnitude <see cref="SentinelMagnitude"/> or more, such as an additive attention mask
/// of float32 min (-3.4e38). One step of 256 then exceeds every real value beside it (they all round to the zero
/// point), and the dequantized sentinel itself can overflow to infinity.</item>
/// <item>The input of a Softmax whose step would exceed <see cref="MaxSoftmaxInputStep"/>: Softmax turns an input error
/// e into an output factor of exp(e), so half a step of 0.25 already moves a probability by 13 %. Attention scores
/// of trained transformers span ±100 even without a mask. The Softmax runs in float; its output (in [0, 1]) is
/// still quantized by the consumer that reads it, the probs × V MatMul.</item>
/// <item>A tensor no calibration sample computed (an If branch none took): its [0, 0] would turn every value it takes
/// in use into the zero point (silero VAD v5 calibrated on 16 kHz audio: its 8 kHz branch then answered noise).</item>
/// </list>
/// A value that only moves its input (Reshape, Transpose…) passes the rule on to that input, which shares its scale.
/// </summary>
internal static class FloatOnlyTensors
{
    public const float SentinelMagnitude = 1e30f;

    public const float MaxSoftmaxInputStep = 0.25f;

    private static readonly HashSet<string> Movement = ["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Expand"];

    /// <summary>Each float-only value with the reason, or an empty map without ranges (the plan before calibration).</summary>
    public static Dictionary<Value, string> Find(Model model, QuantizationSettings settings)
    {
        var result = new Dictionary<Value, string>();
        if (settings.Ranges is not { } ranges) return result;
        foreach (var graph in model.Graph.AllGraphs())
        {
            foreach (var value in graph.DefinedValues())
            {
                if (!ranges.TryGetValue(value.Name, out var r)) continue;
                if (r.Unobserved)
                    Mark(value, $"'{value.Name}' was never computed on the calibration data (an If branch no sample took, or a loop that never ran): it has no range to quantize with", result,
                        throughClamps: true);
                else if (r.AbsMax >= SentinelMagnitude)
                    Mark(value, $"'{value.Name}' spans [{Show(r.Min)}, {Show(r.Max)}]: a sentinel of magnitude {Show(SentinelMagnitude)} or more (an additive mask?) leaves no 8-bit step for the values beside it", result);
            }
            foreach (var softmax in graph.Nodes.Where(n => n is { OpType: "Softmax", IsDefaultDomain: true }))
            {
                if (softmax.Input(0) is not { } x || !ranges.TryGetValue(x.Name, out var r) || result.ContainsKey(x)) continue;
                var step = QuantParams.AsymmetricUInt8(r.Min, r.Max).Scale;
                if (step > MaxSoftmaxInputStep)
                    Mark(x, $"Softmax input '{x.Name}' spans [{Show(r.Min)}, {Show(r.Max)}]: an 8-bit step of {Show(step)} scales its probabilities by up to exp({Show(step / 2)}) (at most {Show(MaxSoftmaxInputStep)} is kept)", result);
            }
        }
        return result;
    }

    /// <param name="throughClamps">
    /// Also mark the input of a Relu/Clip: the planner folds the clamp into its producer, whose quantized output then takes
    /// the clamp output's range (for an unobserved tensor, the producer's output was not computed either).
    /// </param>
    private static void Mark(Value value, string reason, Dictionary<Value, string> result, bool throughClamps = false)
    {
        for (var v = value; v is not null && result.TryAdd(v, reason);)
            v = v.Producer is { IsDefaultDomain: true } p && (Movement.Contains(p.OpType) || throughClamps && p.OpType is "Relu" or "Clip") ? p.Input(0) : null;
    }

    private static string Show(float x) => x.ToString("G3", CultureInfo.InvariantCulture);
}
