using System.Globalization;
using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Precision;

/// <summary>
/// The nodes around a constant beyond float16's range that is not a sentinel. Such a constant (Silero VAD's
/// log(1 + 2^20·|STFT|), a scale of 1048576) says the computation works on magnitudes below half's resolution, so
/// clamping it would change the function and rounding its inputs would too:
/// <list type="bullet">
/// <item>the node reading it stays float32;</item>
/// <item>so do its float ancestors (back to the graph inputs): their rounding error is what the scale magnifies;</item>
/// <item>and its float descendants up to an op that brings magnitudes back into range (Log, Tanh, Sigmoid, Softmax…),
/// which itself still reads float32.</item>
/// </list>
/// A sentinel (|x| ≥ 1e30, float32's lowest value as an additive mask) means "minus infinity" and is clamped instead
/// (<see cref="HalfTensors"/>), so masks keep converting.
/// <para>
/// A floor before a Log (Clip, Max or Add) whose every non-zero value is below float16's smallest subnormal (2^-24)
/// would be raised to it: a log-mel front
/// end's Clip(min = 1e-10) before Log then lifts the floor from -100 to -72.25 dB (openWakeWord's melspectrogram: every
/// value of a silent frame 27.75 dB off). The node reading it stays float32, and so do its float descendants up to an
/// op that brings magnitudes back into range; its inputs still convert (their rounding is ordinary half error).
/// </para>
/// </summary>
internal static class OutOfRangeScales
{
    public const float SentinelMagnitude = 1e30f;

    private static readonly HashSet<string> Compressing =
        ["Log", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Erf", "Sign", "HardSigmoid", "Softsign", "Atan", "Sin", "Cos"];

    /// <summary>Each node to keep float32 with the reason (empty for bfloat16, which has float32's range).</summary>
    public static Dictionary<Node, string> Find(Model model, HalfPrecisionSettings settings)
    {
        var result = new Dictionary<Node, string>();
        if (settings.MaxFinite is not { } max) return result;
        foreach (var graph in model.Graph.AllGraphs())
            foreach (var node in graph.Nodes)
            {
                if (node.IsConstantNode || result.ContainsKey(node)) continue;
                foreach (var input in node.Inputs)
                {
                    if (input is not { ElementType: ElementType.Float } || input.GetConstant() is not { } tensor) continue;
                    var magnitudes = tensor.ToArray<float>().Where(float.IsFinite).Select(MathF.Abs).ToList();
                    var largest = magnitudes.DefaultIfEmpty(0).Max();
                    if (largest > max && largest < SentinelMagnitude)
                    {
                        Mark(node, $"constant '{input.Name}' holds {Show(largest)}, beyond float16's 65504 and not a sentinel: the computation around it needs float32", result);
                        break;
                    }
                    // all of it below half, as a floor before a Log (log(max(x, 1e-10)), log(x + 1e-10)): raised, it moves the floor
                    // of every silent or dark input; a weight with a few tiny values, or a normalization's epsilon, loses nothing
                    if (largest > 0 && largest < SmallestSubnormal && node.OpType is "Clip" or "Max" or "Add" && ReachesLog(node))
                    {
                        Mark(node, $"constant '{input.Name}' holds {Show(largest)}, below float16's smallest value 2^-24 (it would be raised to it): the computation after it needs float32",
                            result, backwards: false);
                        break;
                    }
                }
            }
        return result;
    }

    /// <summary>Ops a floor's value passes through unchanged in order on its way to a Log.</summary>
    private static readonly HashSet<string> Passing = ["Identity", "Cast", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Sqrt", "Abs"];

    /// <summary>Whether a Log reads <paramref name="node"/>'s output, directly or through a few order-keeping ops.</summary>
    private static bool ReachesLog(Node node, int depth = 3) =>
        node.Outputs.Any(o => o?.Uses.Any(u => u.Node.OpType == "Log" || (depth > 0 && Passing.Contains(u.Node.OpType) && ReachesLog(u.Node, depth - 1))) == true);

    /// <summary>float16's smallest subnormal, 2^-24.</summary>
    public const float SmallestSubnormal = 5.9604645e-8f;

    private static void Mark(Node scaled, string reason, Dictionary<Node, string> result, bool backwards = true)
    {
        result[scaled] = reason;
        // Backwards through float values; through control flow, into the branches that produce its outputs.
        var back = new Stack<Node>(backwards ? [scaled] : []);
        while (back.Count > 0)
        {
            var node = back.Pop();
            var inputs = node.Inputs.Concat(node.Subgraphs.SelectMany(g => g.Outputs));
            foreach (var input in inputs)
                if (input is { ElementType: ElementType.Float, Producer: { } p } && !p.IsConstantNode && result.TryAdd(p, reason + $" (an input of '{scaled.Name}')"))
                    back.Push(p);
        }
        var forward = new Stack<Node>([scaled]);
        while (forward.Count > 0)
        {
            var node = forward.Pop();
            if (node != scaled && Compressing.Contains(node.OpType)) continue;
            foreach (var output in node.Outputs)
                foreach (var use in output?.Uses ?? [])
                    if (output!.ElementType == ElementType.Float && result.TryAdd(use.Node, reason + $" (it reads what '{scaled.Name}' scaled)"))
                        forward.Push(use.Node);
        }
    }

    private static string Show(float x) => x.ToString("G4", CultureInfo.InvariantCulture);
}
