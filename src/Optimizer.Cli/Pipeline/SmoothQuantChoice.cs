using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--smooth-quant auto</c> before dynamic INT8: SmoothQuant's alpha decides how far it moves an activation's outlier
/// channels into the weights, and how far is best differs by model and by layer (all-MiniLM-L6-v2's worst pooled cosine
/// ran 0.736, 0.848, 0.987, 0.995, 0.993, 0.980 for 0.15 to 0.9), so it is measured: the model is smoothed with each
/// candidate (and left as it is), quantized, and run as deployed beside FP32 on the first calibration samples (the
/// budget's --validate data within a budget); the budget's first gate judges, else the worst pooled cosine of a
/// model with an attention_mask input (its padding vectors are no one's output), else the worst output SQNR. A
/// smoothing is kept only when it removes a fifth of the error (<see cref="ClearlyBetter"/>): it costs a Mul per
/// residual reader (8 % of all-MiniLM-L6-v2's INT8 speed-up), which bert_mini's 1e-6 of cosine does not pay for.
/// </summary>
public static class SmoothQuantChoice
{
    /// <summary>The alphas compared; null is the model left as it is.</summary>
    public static readonly IReadOnlyList<double?> Candidates = [null, 0.5, 0.6, 0.7, 0.8];

    /// <summary>
    /// <paramref name="q"/> with <see cref="QuantizeOptions.SmoothQuant"/> chosen (null: not smoothed) when it asks for
    /// auto, and the per-channel maxima measured for it (for the smoothing that follows); otherwise <paramref name="q"/>
    /// itself and null.
    /// </summary>
    public static (QuantizeOptions Q, IReadOnlyDictionary<string, float[]>? Maxima) Resolve(Model model, QuantizeOptions q, OptimizeOptions options,
        PassContext context, TextWriter stderr)
    {
        if (!q.SmoothQuantAuto || q.CalibrateDir is not { } folder) return (q, null);
        var chosen = q with { SmoothQuantAuto = false, SmoothQuant = null };
        if (SmoothQuant.Sites(model).Count == 0)
        {
            stderr.WriteLine("smooth-quant auto: no MatMul/Gemm input here can take a per-channel scale; nothing smoothed");
            return (chosen, null);
        }
        var fp32 = ModelWriter.ToBytes(model);
        var gates = q.CompareBy.Count > 0 ? q.CompareBy
            : model.Graph.Inputs.Any(i => OutputStats.TokenMaskInputs.Contains(i.Name)) ? [new Gate(GateMetric.MinPooledCosine, 0)] : [];
        if (CandidateComparison.Start(fp32, folder, gates, q, options, context.Cancellation) is not { } comparison) return (chosen, null);
        var maxima = QuantizationStep.MeasureSmoothing(model, q, options, stderr, context.Cancellation, fp32);
        foreach (var alpha in Candidates)
        {
            var candidate = ModelReader.Read(new MemoryStream(fp32), null);
            var quiet = new PassContext(context.Options, cancellation: context.Cancellation);
            if (alpha is { } a) PassRunner.Run(candidate, [new SmoothQuant((float)a, maxima), new InferShapes()], quiet);
            QuantizationStep.Run(candidate, chosen, options, quiet, TextWriter.Null);
            comparison.Add(Name(alpha), $"the model smoothed with {Name(alpha)}", candidate, stderr);
        }
        // the first listed (not smoothed) wins a tie, and a smoothing that does not clearly win (it costs a Mul per
        // residual reader)
        var judged = comparison.Judged;
        var best = comparison.Best();
        if (!ClearlyBetter(judged[best].Score, judged[0].Score)) best = 0;
        return (chosen with
        {
            SmoothQuant = Candidates[best],
            SmoothQuantCompared = comparison.Report("smooth-quant", best, stderr),
        }, maxima);
    }

    /// <summary>The share of the unsmoothed model's error a smoothing must remove to be kept.</summary>
    public const double RequiredGain = 0.2;

    /// <summary>
    /// Whether <paramref name="smoothed"/> removes at least <see cref="RequiredGain"/> of <paramref name="off"/>'s error:
    /// 1 − value for a cosine or an agreement, the value itself for an error bound, the noise power for SQNR (1 dB).
    /// </summary>
    public static bool ClearlyBetter(CandidateScore smoothed, CandidateScore off)
    {
        if (ReferenceEquals(smoothed, off) || smoothed.CompareTo(off) <= 0) return false;
        if (smoothed.Gate is not { } gate) return Gain(Noise(off.Sqnr), Noise(smoothed.Sqnr)) >= RequiredGain;
        return gate.Metric switch
        {
            GateMetric.Sqnr => Gain(Noise(off.GateValue), Noise(smoothed.GateValue)) >= RequiredGain,
            _ when gate.HigherIsBetter => Gain(1 - off.GateValue, 1 - smoothed.GateValue) >= RequiredGain,
            _ => Gain(off.GateValue, smoothed.GateValue) >= RequiredGain,
        };

        static double Noise(double sqnrDb) => Math.Pow(10, -sqnrDb / 10);
        static double Gain(double before, double after) => before <= 0 ? 0 : (before - after) / before;
    }

    private static string Name(double? alpha) => alpha is { } a ? a.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture) : "off";
}
