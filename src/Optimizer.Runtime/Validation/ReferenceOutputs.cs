using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// A reference model's float outputs on a few samples, computed once and held, so that many candidates (each
/// method's quantized model, each node quantized alone) are scored against them without running the reference again.
/// Memory holds the samples and their outputs: callers pass a few dozen samples, not a data set.
/// </summary>
public sealed class ReferenceOutputs
{
    private readonly IReadOnlyList<Sample> _samples;
    private readonly IReadOnlyList<IReadOnlyDictionary<string, HostTensor>> _expected;
    private readonly IReadOnlyList<string> _outputs;

    private ReferenceOutputs(IReadOnlyList<Sample> samples, IReadOnlyList<IReadOnlyDictionary<string, HostTensor>> expected, IReadOnlyList<string> outputs) =>
        (_samples, _expected, _outputs) = (samples, expected, outputs);

    public int Count => _samples.Count;

    /// <summary>The float32 outputs held (none: nothing to compare).</summary>
    public int OutputCount => _outputs.Count;

    /// <summary>What the held samples and outputs may take: samples stop being added (after the first) once they reach it.</summary>
    public const long MaxHeldBytes = 256L << 20;

    /// <summary>
    /// Runs <paramref name="reference"/> on <paramref name="samples"/> and keeps its float32 outputs, stopping early
    /// when the held inputs and outputs reach <see cref="MaxHeldBytes"/> (a segmentation map or a language model's
    /// logits can be tens of MiB a sample).
    /// </summary>
    public static ReferenceOutputs Compute(byte[] reference, IEnumerable<Sample> samples, SessionSettings session,
        CancellationToken cancel = default, long maxHeldBytes = MaxHeldBytes)
    {
        var held = new List<Sample>();
        var workers = SessionWorkers.For(session);
        using var runner = new ModelRunner(reference, "FP32 model", SessionWorkers.Session(session, workers));
        var outputs = runner.Signature.Outputs.Where(o => o.IsTensor && o.ElementType == TensorElementType.Float).Select(o => o.Name).ToList();
        var expected = new List<IReadOnlyDictionary<string, HostTensor>>();
        long bytes = 0;
        using var reader = samples.GetEnumerator();
        // samples run a few at a time, kept in order; held samples stop (after the first) at the byte limit
        new OrderedSampleRuns<IReadOnlyDictionary<string, HostTensor>>(workers, sample => runner.Run(sample).Outputs, (_, sample, all) =>
        {
            var kept = outputs.Where(all.ContainsKey).ToDictionary(o => o, o => all[o], StringComparer.Ordinal);
            held.Add(sample);
            expected.Add(kept);
            bytes += kept.Values.Sum(t => (long)t.Bytes.Length) + sample.Inputs.Values.Sum(t => (long)t.Bytes.Length);
            return bytes < maxHeldBytes;
        }).Run(reader, null, null, cancel, out _);
        return new ReferenceOutputs(held, expected, outputs.Where(o => expected.Count > 0 && expected[0].ContainsKey(o)).ToList());
    }

    /// <summary>
    /// The candidate's metrics against the reference over the held samples, one per output (with the agreement at
    /// each of <paramref name="maskThresholds"/>, and the CTC decoding agreement for each of <paramref name="ctcBlanks"/>).
    /// </summary>
    public IReadOnlyList<OutputMetrics> Compare(byte[] candidate, string displayName, SessionSettings session, IReadOnlyList<double>? maskThresholds = null,
        IReadOnlyList<int>? ctcBlanks = null, CancellationToken cancel = default)
    {
        if (_outputs.Count == 0 || _samples.Count == 0) return [];
        var workers = SessionWorkers.For(session);
        using var runner = new ModelRunner(candidate, displayName, SessionWorkers.Session(session, workers));
        var stats = _outputs.Select(o => new OutputStats(o, maskThresholds, ctcBlanks)).ToList();
        using var reader = _samples.GetEnumerator();
        // a few samples at a time; their outputs are added in sample order, as one at a time would
        new OrderedSampleRuns<IReadOnlyDictionary<string, HostTensor>>(workers, sample => runner.Run(sample).Outputs, (i, sample, actual) =>
        {
            var tokenMask = OutputStats.TokenMaskOf(sample);
            foreach (var s in stats) s.Add(_expected[i][s.Name], actual[s.Name], sample.Source, tokenMask);
            return true;
        }).Run(reader, null, null, cancel, out _);
        // Each run's outputs were copied into arrays big enough for the large-object heap, which the collector leaves
        // until its own budget is spent: a method comparison on 32 samples instead of 20 peaked 30 MB higher on
        // bert_mini for garbage alone (354 against 324 MB), and a budget's ranking stacked its candidates on it.
        GC.Collect();
        return stats.Select(s => s.Metrics()).ToList();
    }

    /// <summary>The worst output SQNR (dB) of <see cref="Compare"/>'s metrics: +∞ when every output is identical (or there is nothing to compare).</summary>
    public static double WorstSqnr(IReadOnlyList<OutputMetrics> metrics) => metrics.Count == 0 ? double.PositiveInfinity : metrics.Min(m => m.SqnrDb);
}
