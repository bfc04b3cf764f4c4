using System.Text.Json;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// <c>optimize validate</c>: runs the baseline and the candidate on the same samples, one sample at a time through
/// both, keeping only running statistics; or runs the candidate alone and compares it with a stored report.
/// Then checks the gates.
/// </summary>
public static class Validator
{
    /// <param name="predictions">
    /// Receives the candidate's top-5 classes per sample (predictions.csv), when given; nothing at all (not even the
    /// header) when no output is classifier-like.
    /// </param>
    /// <param name="readings">
    /// With text labels (a dictionary.txt), receives each line's true text and both models' readings (readings.csv).
    /// </param>
    public static ValidationReport Run(ValidateOptions options, TextWriter? predictions = null, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default,
        TextWriter? readings = null)
    {
        var rows = predictions is null ? null : PredictionsFile.Rows(predictions);
        if (options.AgainstReport is not null && options.FeedBack.Count > 0)
            throw new InvalidInputException("--feed-back streams the baseline and the candidate side by side: compare with --baseline MODEL, not a stored report");
        return options.AgainstReport is null
            ? AgainstBaseline(options, rows, readings, progress, cancel)
            : AgainstStored(options, rows, progress, cancel);
    }

    private static ValidationReport AgainstBaseline(ValidateOptions options, CsvRows? predictions, TextWriter? readings, IProgress<(int, int)>? progress,
        CancellationToken cancel)
    {
        var readingRows = readings is null ? null : ReadingsFile.Rows(readings);
        using var baseline = new ModelRunner(options.BaselinePath ?? throw new InvalidInputException("give --baseline MODEL or --against report.json"), options.Session);
        using var candidate = new ModelRunner(options.CandidatePath, options.Session);
        CheckSameInterface(baseline, candidate);
        var data = DataSet.Open(options.Data, baseline.Signature);
        FeedBack.Check(options.FeedBack, baseline.Signature, "the baseline");
        FeedBack.Check(options.FeedBack, candidate.Signature, "the candidate");
        if (options.FeedBack.Count == 0 && FeedBack.Likely(baseline.Signature) is { Count: > 0 } likely)
            DataNotes.Write($"{string.Join(", ", likely.Select(p => $"output '{p.Output}' looks like the next '{p.Input}'"))} (a recurrent state): each sample is judged "
                            + $"with the state its data gives; --feed-back {string.Join(",", likely)} takes the samples in order as one stream, each model fed its own state, as deployed");
        if (options.FeedBack.Count > 0 && FeedBack.OutOfNumberOrder(data.Ids) is { } jump)
            DataNotes.Write($"--feed-back streams the samples in the order of their names as text, so '{jump.After}' comes right after '{jump.Before}': "
                            + "pad the numbers in the file names with zeros (0001, 0002, ...) for the stream to follow them");
        var (fedA, fedB) = (new FedState(options.FeedBack), new FedState(options.FeedBack));
        var outputs = baseline.Signature.Outputs.Where(o => o.IsTensor).Select(o => new OutputStats(o.Name, Gate.MaskThresholds(options.Gates), Gate.CtcBlanks(options.Gates))).ToList();
        var (statsA, statsB) = (new RunStats(), new RunStats());
        var done = 0;
        Sample? first = null;
        string? reader = null;
        foreach (var sample in data.Read())
        {
            cancel.ThrowIfCancellationRequested();
            first ??= sample;
            var (a, _) = baseline.Run(fedA.Apply(sample));
            if (done == 0) CheckGatesApply(options.Gates, a, data.Dictionary is not null, data.HasLabels);
            var (b, _) = candidate.Run(fedB.Apply(sample));
            fedA.Keep(a);
            fedB.Keep(b);
            var tokenMask = OutputStats.TokenMaskOf(sample);
            foreach (var output in outputs)
                output.Add(a[output.Name], b[output.Name], sample.Source, tokenMask);
            if (data.Dictionary is { } dictionary)
            {
                // a text recognizer's data: the output whose classes are the dictionary's, read against the true text
                reader ??= outputs.FirstOrDefault(o => a[o.Name].Shape is [_, _, var c] && dictionary.Fits(c))?.Name
                           ?? throw new InvalidInputException($"{options.Data.Folder}: {CtcDictionary.FileName} has {dictionary.Count} entries, but no output has "
                                                              + $"{dictionary.Count + 1} or {dictionary.Count + 2} classes on its last of three axes to read text from");
                var readA = statsA.CountText(a[reader], sample.Text, dictionary);
                var readB = statsB.CountText(b[reader], sample.Text, dictionary);
                if (readA is not null && readB is not null) readingRows?.Add(ReadingsFile.Line(sample.Id, sample.Text!, readA, readB));
            }
            else
            {
                var classifier = outputs.FirstOrDefault(o => OutputStats.ClassCount(a[o.Name].Shape) is not null)?.Name;
                statsA.CountLabel(classifier is null ? null : a[classifier], sample.Label);
                statsB.CountLabel(classifier is null ? null : b[classifier], sample.Label);
            }
            WritePredictions(predictions, sample.Id, b);
            progress?.Report((++done, data.Count));
        }
        var metrics = outputs.Select(o => o.Metrics()).ToList();
        var classifierName = reader ?? metrics.FirstOrDefault(m => m.Top1Agreement is not null)?.Name;
        if (data.HasLabels && data.Dictionary is null && classifierName is null)
            DataNotes.Write($"{options.Data.Folder}: its labels give no accuracy here: no output is classifier-like ([N, C] class scores) to read a class from");
        var accuracy = statsA.Labelled > 0 && classifierName is not null
            ? new AccuracyMetrics(classifierName, statsA.Labelled, statsA.Accuracy, statsB.Accuracy) {
                ExactText = reader is not null,
                BaselineCharacterErrorRate = reader is null ? null : statsA.CharacterErrorRate,
                CandidateCharacterErrorRate = reader is null ? null : statsB.CharacterErrorRate,
            }
            : null;
        var latency = options.TimeLatency && first is not null ? SideBySide(options, first, cancel) : LatencyComparison.NotTimed;
        return Report(Path.GetFullPath(options.BaselinePath), options, data.Description, done, metrics, accuracy, latency);
    }

    /// <summary>
    /// Both models timed in one run, interleaved (<see cref="Benchmark.PairedTiming"/>) on the first sample with inputs
    /// and outputs bound, on sessions of <see cref="ValidateOptions.LatencySession"/>; the speed-up with its interval.
    /// </summary>
    private static LatencyComparison SideBySide(ValidateOptions options, Sample sample, CancellationToken cancel)
    {
        using var baseline = SessionFactory.Create(options.BaselinePath!, options.LatencySession);
        using var candidate = SessionFactory.Create(options.CandidatePath, options.LatencySession);
        using var boundA = new Benchmark.BoundSession(baseline, sample.Inputs, out _);
        using var boundB = new Benchmark.BoundSession(candidate, sample.Inputs, out _);
        var times = Benchmark.PairedTiming.Measure(boundA.Run, boundB.Run, options.Timing, cancel);
        var (statsA, statsB) = (Benchmark.LatencyStats.From(times.BaselineMs), Benchmark.LatencyStats.From(times.CandidateMs));
        return new LatencyComparison(statsA.P50, statsA.P95, statsB.P50, statsB.P95) { Estimate = Benchmark.SpeedupEstimate.FromTimes(times) };
    }

    private static ValidationReport AgainstStored(ValidateOptions options, CsvRows? predictions, IProgress<(int, int)>? progress, CancellationToken cancel)
    {
        if (options.Gates.FirstOrDefault(g => g.Metric == GateMetric.CtcAgreement) is { } ctc)
            throw new InvalidInputException($"gate {ctc.Name} cannot be checked against a stored report, which keeps no decoded sequences: compare with --baseline MODEL");
        var stored = ReadReport(options.AgainstReport!);
        var storedPredictions = PredictionsFile.ReadBeside(options.AgainstReport!);
        using var candidate = new ModelRunner(options.CandidatePath, options.Session);
        var data = DataSet.Open(options.Data, candidate.Signature);
        var agreement = new Dictionary<string, AgreementStats>(StringComparer.Ordinal);
        var stats = new RunStats();
        var done = 0;
        foreach (var sample in data.Read())
        {
            cancel.ThrowIfCancellationRequested();
            if (done == 0) CheckGatesApply(options.Gates, candidate.Run(sample).Outputs);
            var (b, ms) = candidate.Run(sample);
            stats.Latency.Add(ms);
            var classifier = b.FirstOrDefault(o => OutputStats.ClassCount(o.Value.Shape) is not null).Value;
            stats.CountLabel(classifier, sample.Label);
            foreach (var (key, top) in TopPerRow(sample.Id, b))
            {
                if (storedPredictions is null || !storedPredictions.TryGetValue(key, out var old)) continue;
                if (!agreement.TryGetValue(key.Output, out var a)) agreement[key.Output] = a = new AgreementStats(key.Output);
                a.Add(old, top);
            }
            WritePredictions(predictions, sample.Id, b);
            progress?.Report((++done, data.Count));
        }
        var metrics = agreement.Values.Select(a => a.Metrics()).ToList();
        var accuracy = stored.Accuracy is { } old2 && stats.Labelled > 0
            ? new AccuracyMetrics(old2.Output, stats.Labelled, old2.Candidate, stats.Accuracy)
            : null;
        var latency = new LatencyComparison(stored.Latency.CandidateP50Ms, stored.Latency.CandidateP95Ms, stats.Latency.Percentile(50), stats.Latency.Percentile(95));
        return Report($"{Path.GetFullPath(options.AgainstReport!)} (candidate {stored.Candidate})", options, data.Description, done, metrics, accuracy, latency);
    }

    private static ValidationReport Report(string baseline, ValidateOptions options, string data, int samples,
        IReadOnlyList<OutputMetrics> metrics, AccuracyMetrics? accuracy, LatencyComparison latency) => new()
    {
        Baseline = baseline,
        Candidate = Path.GetFullPath(options.CandidatePath),
        Data = data,
        Runtime = Describe(options.Session) + (options.TimeLatency ? $"; latency timed side by side with graph optimizations {options.LatencySession.OptimizationName}" : "; latency not timed"),
        SessionOptions = SessionOptionsInEffect.Of(options.Session),
        LatencySessionOptions = options.TimeLatency ? SessionOptionsInEffect.Of(options.LatencySession) : null,
        Samples = samples,
        Outputs = metrics,
        Accuracy = accuracy,
        Latency = latency,
        Gates = GateEvaluator.Evaluate(options.Gates, metrics, accuracy, latency),
        FedBack = options.FeedBack.Count == 0 ? null : options.FeedBack.Select(f => f.ToString()).ToList(),
    };

    private static string Describe(SessionSettings s) =>
        $"onnxruntime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()}, {s.Provider.ToString().ToLowerInvariant()}, graph optimizations {(s.OptimizationLevel == Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL ? "off" : "on")}";

    private static void WritePredictions(CsvRows? writer, string sample, IReadOnlyDictionary<string, HostTensor> outputs)
    {
        if (writer is null) return;
        foreach (var (key, top) in TopPerRow(sample, outputs))
            writer.Add(PredictionsFile.Line(key.Sample, key.Output, top));
    }

    /// <summary>Top-5 classes of every row of every classifier-like output; rows after the first are named sample#row.</summary>
    private static IEnumerable<((string Sample, string Output), int[])> TopPerRow(string sample, IReadOnlyDictionary<string, HostTensor> outputs)
    {
        foreach (var (name, tensor) in outputs)
        {
            if (OutputStats.ClassCount(tensor.Shape) is not { } classes) continue;
            var scores = new double[tensor.ElementCount];
            TensorTypes.ToDoubles(tensor, scores);
            for (var row = 0; row < scores.Length / classes; row++)
                yield return ((row == 0 ? sample : $"{sample}#{row}", name), TopClasses.Top(scores.AsSpan(row * classes, classes), OutputStats.TopK));
        }
    }

    /// <summary>
    /// Refuses, on the first sample's outputs before the rest runs, agreement and accuracy gates for a model with no
    /// classifier-like output, CTC gates for one without per-step scores, and pooled-cosine gates for one without token vectors. The outputs as run, not as declared: an
    /// exporter may declare [1, seqlen] for a rank-3 result (ddddocr's CRNN), which ONNX Runtime runs.
    /// </summary>
    /// <param name="textLabels">The data's labels are true text (a dictionary.txt): accuracy is read from per-step scores.</param>
    /// <param name="labelled">The data folder has a labels file (null: not known here, a stored report's path).</param>
    private static void CheckGatesApply(IEnumerable<Gate> gates, IReadOnlyDictionary<string, HostTensor> outputs, bool textLabels = false, bool? labelled = null)
    {
        if (labelled == false && gates.FirstOrDefault(g => g.Metric == GateMetric.Accuracy) is { } unlabelled)
            throw new InvalidInputException($"gate {unlabelled.Name} needs labels: labels.txt or labels.csv in the data folder ('file class-index' a line; "
                                            + "for a text recognizer 'file text', with the dictionary.txt of its classes beside it)");
        string Outputs() => string.Join(", ", outputs.Select(o => $"{o.Key} {TensorTypes.Name(o.Value.ElementType)}[{string.Join(",", o.Value.Shape)}]"));
        if (gates.FirstOrDefault(g => g.Output is { } named && !outputs.ContainsKey(named)) is { } unknown)
            throw new InvalidInputException($"gate {unknown.Name}: the model has no output '{unknown.Output}' (its outputs: {Outputs()})");
        // each gate judges its own output (OUTPUT:METRIC), or every output
        IEnumerable<HostTensor> Judged(Gate g) => g.Output is { } named ? [outputs[named]] : outputs.Values;
        var needsClasses = gates.FirstOrDefault(g => g.Metric is GateMetric.Top1Agreement or GateMetric.Top5Agreement || g.Metric == GateMetric.Accuracy && !textLabels);
        if (needsClasses is not null && !Judged(needsClasses).Any(o => o.Shape.Length is 2 or 4 && o.Shape[1] >= 2))
            throw new InvalidInputException($"gate {needsClasses.Name} needs a classifier-like [N, C] output, and the model has none ({Outputs()})");
        var needsSteps = gates.FirstOrDefault(g => g.Metric == GateMetric.CtcAgreement);
        if (needsSteps is not null && !Judged(needsSteps).Any(o => o.Shape.Length == 3 && o.Shape[2] >= 2))
            throw new InvalidInputException($"gate {needsSteps.Name}: no output has this metric (it needs an [N, T, C] output of per-step class scores, and the model has {Outputs()})");
        var needsTokens = gates.FirstOrDefault(g => g.Metric == GateMetric.MinPooledCosine);
        if (needsTokens is not null && !Judged(needsTokens).Any(o => o.Shape.Length == 3))
            throw new InvalidInputException($"gate {needsTokens.Name}: no output has this metric (it needs an [N, T, C] output of token vectors, and the model has {Outputs()})");
    }

    private static void CheckSameInterface(ModelRunner baseline, ModelRunner candidate)
    {
        foreach (var input in baseline.Signature.Inputs)
            if (candidate.Signature.FindInput(input.Name) is null)
                throw new InvalidInputException($"{candidate.ModelPath}: has no input '{input.Name}' that the baseline has");
        foreach (var output in baseline.Signature.Outputs.Where(o => o.IsTensor))
            if (candidate.Signature.Outputs.All(o => o.Name != output.Name))
                throw new InvalidInputException($"{candidate.ModelPath}: has no output '{output.Name}' that the baseline has");
    }

    private static ValidationReport ReadReport(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ValidationReport>(File.ReadAllText(path), ReportJson.Options)
                ?? throw new InvalidInputException($"{path}: empty report");
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            throw new InvalidInputException($"{path}: not a validate report.json: {SessionFactory.FirstLine(e.Message)}", e);
        }
    }
}
