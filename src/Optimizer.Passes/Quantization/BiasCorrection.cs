using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>A Conv/Gemm whose bias <see cref="BiasCorrection"/> can shift: its output's channels are on axis 1.</summary>
public sealed record BiasSite(string Node, string Output, int Channels);

/// <summary>
/// Bias correction (Nagel et al., 2019, "Data-free quantization", in its empirical form): quantization moves the mean of
/// a Conv/Gemm output channel (rounding of the int8 weights does not average out over a channel's few weights, and a
/// clipped input range lowers the mean of what passes through); the caller measures, per output channel, the mean of
/// (quantized model's output − FP32 model's output) on calibration data, and this pass subtracts it from the float bias
/// before the bias is quantized. The FP32 model then computes a slightly different function on purpose: the quantized
/// one computes closer to the original. Shifts are given by node name; a node not given is left as it is.
/// </summary>
public sealed class BiasCorrection(IReadOnlyDictionary<string, float[]> shifts) : IPass
{
    public string Name => "bias-correction";

    public string Description => "Subtracts the measured mean quantization error of each output channel from Conv/Gemm biases.";

    public PassKind Kind => PassKind.Quantization;

    /// <summary>
    /// The nodes static quantization with <paramref name="settings"/> gives int8 weights that have a bias this pass can
    /// shift (a constant float vector of one value per output channel): Conv, ConvTranspose and Gemm. Changes nothing
    /// but unnamed nodes' names and value types (as <see cref="QdqPlanner.Plan"/> does).
    /// </summary>
    public static IReadOnlyList<BiasSite> Sites(Model model, QuantizationSettings settings)
    {
        var analysis = QdqPlanner.Analyze(model, settings);
        var sites = new List<BiasSite>();
        foreach (var node in analysis.Weights.Select(w => w.Node).Distinct())
            if (Check(node, out var channels) is null && node.Graph == model.Graph)
                sites.Add(new BiasSite(node.Name, node.Output().Name, channels));
        return sites;
    }

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var node in model.Graph.Nodes.ToList())
        {
            if (!shifts.TryGetValue(node.Name, out var shift)) continue;
            if (Check(node, out var channels) is { } why)
            {
                context.Decline(node, why);
                continue;
            }
            if (shift.Length != channels)
            {
                context.Decline(node, $"the measured shift has {shift.Length} channels, the bias {channels}");
                continue;
            }
            if (shift.Any(s => !float.IsFinite(s)))
            {
                context.Decline(node, "the measured shift is not finite");
                continue;
            }
            var old = node.Input(2)!;
            var bias = Patterns.Constant(old)!.ToArray<float>();
            // Gemm adds beta × C
            var beta = node.OpType == "Gemm" ? node.GetFloat("beta", 1f) : 1f;
            var corrected = new float[bias.Length];
            for (var c = 0; c < bias.Length; c++) corrected[c] = bias[c] - shift[c] / beta;
            Patterns.ReplaceConstantInput(node, 2, "_corrected", corrected, bias.Length);
            var largest = shift.Max(MathF.Abs);
            rewrites += context.Step($"bias corrected by the mean quantization error of its {channels} output channels (largest |shift| {largest:G4})", node);
        }
        return PassResult.FromRewrites(rewrites);
    }

    /// <summary>Why the bias of <paramref name="node"/> cannot be shifted, or null with its number of output channels.</summary>
    private static string? Check(Node node, out int channels)
    {
        channels = 0;
        if (!node.IsDefaultDomain || node.OpType is not ("Conv" or "ConvTranspose" or "Gemm")) return $"{node.OpType} has no per-channel bias to correct";
        if (node.Input(2) is not { } b) return "it has no bias";
        if (b.IsOverridable) return "its bias is an overridable graph input";
        if (Patterns.Constant(b) is not { ElementType: ElementType.Float, Dims.Count: 1 } t) return "its bias is not a constant float vector";
        var w = Patterns.Constant(node.Input(1));
        if (w is null || w.Dims.Count < 2) return "its weight is not a constant";
        long expected = node.OpType switch
        {
            "Conv" => w.Dims[0],
            "ConvTranspose" => w.Dims[1] * node.GetInt("group", 1),
            _ => node.GetInt("transB", 0) != 0 ? w.Dims[0] : w.Dims[1],
        };
        if (t.Dims[0] != expected) return $"its bias has {t.Dims[0]} values for {expected} output channels";
        if (node.OpType == "Gemm" && node.GetFloat("beta", 1f) == 0f) return "Gemm's beta is 0";
        channels = (int)expected;
        return null;
    }
}
