using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--bias-correction</c>: empirical bias correction of the Conv/Gemm nodes static quantization gives int8 weights.
/// The model is quantized with the calibrated ranges as it will be; on the calibration data, each such node's own
/// error (its quantized copy beside the FP32 node, fed the same FP32 input: <see cref="BiasCorrectionProbe"/>) is
/// averaged per output channel, and subtracted from the float bias (<see cref="BiasCorrection"/>) before the real
/// quantization. The mean |channel error| of the whole quantized model's Conv/Gemm outputs against FP32 is measured
/// before and after, for the report. Every model runs with ONNX Runtime's optimizations off, as accuracy is measured.
/// </summary>
public static class BiasCorrectionStep
{
    /// <summary>Corrects the biases of <paramref name="model"/> (FP32, final form) for quantization with <paramref name="settings"/>.</summary>
    public static (BiasCorrectionReport? Report, IReadOnlyList<PassRecord> Records) Run(Model model, QuantizationSettings settings,
        Func<IEnumerable<Sample>> samples, int? maxSamples, PassContext context, TextWriter stderr)
    {
        var sites = BiasCorrection.Sites(model, settings);
        if (sites.Count == 0) return (new BiasCorrectionReport(0, 0, 0), []);
        var cancel = context.Cancellation;
        var fp32 = ModelWriter.ToBytes(model);
        stderr.WriteLine($"bias correction: measuring the mean quantization error of each output channel of {sites.Count} Conv/Gemm nodes");
        var reference = ChannelMeans.Collect(fp32, sites.Select(s => s.Output).ToList(), samples(), SessionSettings.ForComparison, maxSamples, cancel);
        var quantized = Quantize(fp32, null, settings, context);
        var before = ModelError(quantized, sites, reference, samples, maxSamples, cancel);

        var (probe, probed) = BiasCorrectionProbe.Build(ModelReader.Read(new MemoryStream(fp32), null), quantized, sites);
        var means = ChannelMeans.Collect(ModelWriter.ToBytes(probe), probed.SelectMany(p => new[] { p.Float, p.Quantized }).ToList(), samples(),
            SessionSettings.ForComparison, maxSamples, cancel);
        var shifts = probed.ToDictionary(p => p.Site.Node,
            p => means[p.Quantized].Zip(means[p.Float], (q, f) => (float)(q - f)).ToArray(), StringComparer.Ordinal);

        var after = ModelError(Quantize(fp32, shifts, settings, context), sites, reference, samples, maxSamples, cancel);
        var records = PassRunner.Run(model, [new BiasCorrection(shifts)], context);
        stderr.WriteLine($"bias correction: {probed.Count} nodes corrected; mean |channel error| of their outputs in the quantized model {before:G3} -> {after:G3}");
        return (new BiasCorrectionReport(probed.Count, Math.Round(before, 6), Math.Round(after, 6)), records);
    }

    /// <summary>The FP32 model (bytes), its biases shifted when given, quantized with <paramref name="settings"/>.</summary>
    private static Model Quantize(byte[] fp32, IReadOnlyDictionary<string, float[]>? shifts, QuantizationSettings settings, PassContext context)
    {
        var model = ModelReader.Read(new MemoryStream(fp32), null);
        var quiet = new PassContext(context.Options, cancellation: context.Cancellation);
        IPass[] passes = shifts is null ? [new StaticQuantization(settings)] : [new BiasCorrection(shifts), new StaticQuantization(settings)];
        PassRunner.Run(model, passes, quiet);
        return model;
    }

    /// <summary>The mean over every site's channels of |mean quantized output − mean FP32 output|.</summary>
    private static double ModelError(Model quantized, IReadOnlyList<BiasSite> sites, IReadOnlyDictionary<string, double[]> reference,
        Func<IEnumerable<Sample>> samples, int? maxSamples, CancellationToken cancel)
    {
        var byName = quantized.Graph.Nodes.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var outputs = sites.Where(s => byName.ContainsKey(s.Node)).ToDictionary(s => s.Node, s => byName[s.Node].Output().Name, StringComparer.Ordinal);
        var means = ChannelMeans.Collect(ModelWriter.ToBytes(quantized), outputs.Values.ToList(), samples(), SessionSettings.ForComparison, maxSamples, cancel);
        double sum = 0;
        long count = 0;
        foreach (var site in sites.Where(s => outputs.ContainsKey(s.Node)))
        {
            var (q, f) = (means[outputs[site.Node]], reference[site.Output]);
            for (var c = 0; c < site.Channels; c++) sum += Math.Abs(q[c] - f[c]);
            count += site.Channels;
        }
        return sum / Math.Max(count, 1);
    }
}

/// <summary>
/// The "biasCorrection" part of the quantization report: the Conv/Gemm nodes corrected, and the mean |channel error| of
/// their outputs in the quantized model against FP32 on the calibration data, before and after the correction.
/// </summary>
public sealed record BiasCorrectionReport(int Nodes, double MeanAbsChannelErrorBefore, double MeanAbsChannelErrorAfter);
