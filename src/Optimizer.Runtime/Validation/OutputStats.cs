using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// Running comparison of one model output, baseline against candidate, one sample at a time: only sums and
/// counts are kept. Outputs shaped [N, C] (or [N, C, 1, 1]) with C ≥ 2 count as classifier-like, and then each of the
/// N rows also counts for top-1 and top-5 agreement. For each of <paramref name="maskThresholds"/> it counts the
/// elements both outputs put on the same side of the threshold (the masks a segmentation model's user would cut).
/// Outputs shaped [N, T, C] with C ≥ 2 are read as CTC scores, decoded for each of <paramref name="ctcBlanks"/>
/// (<see cref="CtcStats"/>). Outputs shaped [N, T, C] are also read as token vectors: each row's mean over its tokens
/// (those its sample's token mask marks, when the caller gives one) is compared too, as a sentence embedder's user
/// pools them (<see cref="OutputMetrics.MinPooledCosine"/>).
/// </summary>
public sealed class OutputStats(string name, IReadOnlyList<double>? maskThresholds = null, IReadOnlyList<int>? ctcBlanks = null)
{
    private readonly CtcStats[] _ctc = (ctcBlanks ?? []).Distinct().Select(b => new CtcStats(b)).ToArray();
    private readonly double[] _maskThresholds = (maskThresholds ?? []).Distinct().ToArray();
    private readonly long[] _maskAgree = new long[(maskThresholds ?? []).Distinct().Count()];
    public const int TopK = 5;
    private double[] _a = [];
    private double[] _b = [];
    private double _maxAbs, _sumAbs, _sumDiff2, _sumRef2, _cosineSum, _cosineMin = 1;
    // over all elements of all samples: the cosine of an output of one value per sample (see Metrics)
    private double _dotAll, _sumCand2;
    private long _elements, _samples, _rows, _top1, _topKOverlap, _topKSlots, _mostPerSample;
    private int _topK = TopK;
    private double _pooledMin = 1;
    private bool _pooled;
    private bool _pooledByMask;

    /// <summary>
    /// The inputs that mark a sample's real tokens, as exporters name them (Hugging Face's <c>attention_mask</c>, the
    /// TensorFlow BERT graphs' <c>input_mask</c>): pooling skips the rest.
    /// </summary>
    public static readonly IReadOnlyList<string> TokenMaskInputs = ["attention_mask", "input_mask"];

    /// <summary>The sample's token mask, when it has one.</summary>
    public static HostTensor? TokenMaskOf(Sample sample) =>
        TokenMaskInputs.Select(sample.Inputs.GetValueOrDefault).FirstOrDefault(t => t is not null);

    public string Name { get; } = name;
    public bool IsClassifier { get; private set; } = true;
    public long Samples => _samples;

    /// <param name="tokenMask">
    /// The sample's token mask (an <c>attention_mask</c> input [N, T]): which tokens of an [N, T, C] output are pooled;
    /// null, or of another shape, pools every token.
    /// </param>
    public void Add(HostTensor baseline, HostTensor candidate, string source, HostTensor? tokenMask = null)
    {
        if (!baseline.Shape.SequenceEqual(candidate.Shape))
            throw new Onnx.Errors.InvalidInputException($"{source}: output '{Name}' has shape {baseline.ShapeText} from the baseline but {candidate.ShapeText} from the candidate");
        var n = (int)baseline.ElementCount;
        if (_a.Length < n) (_a, _b) = (new double[n], new double[n]);
        var a = _a.AsSpan(0, n);
        var b = _b.AsSpan(0, n);
        TensorTypes.ToDoubles(baseline, a);
        TensorTypes.ToDoubles(candidate, b);
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < n; i++)
        {
            var d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            _maxAbs = Math.Max(_maxAbs, d);
            _sumAbs += d;
            _sumDiff2 += d * d;
            _sumRef2 += a[i] * a[i];
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        var cosine = Cosine(dot, normA, normB);
        _dotAll += dot;
        _sumCand2 += normB;
        _mostPerSample = Math.Max(_mostPerSample, n);
        for (var t = 0; t < _maskThresholds.Length; t++)
        {
            var threshold = _maskThresholds[t];
            long agree = 0;
            for (var i = 0; i < n; i++)
                if (a[i] > threshold == b[i] > threshold) agree++;
            _maskAgree[t] += agree;
        }
        if (_ctc.Length > 0 && baseline.Shape is [var rows, var steps, var ctcClasses] && ctcClasses >= 2)
        {
            // [T, 1, C], time-major with one row (older CRNN exports: ddddocr's 20x1x8210), lies in memory as [1, T, C]
            if (steps == 1 && rows > 1) (rows, steps) = (1, rows);
            AddCtc(a, b, (int)rows, (int)steps, (int)ctcClasses);
        }
        if (baseline.Shape is [var pooledRows, var tokens, var width] && tokens > 0 && width > 0)
        {
            var mask = TokenMask(tokenMask, pooledRows, tokens);
            _pooledByMask |= mask is not null;
            AddPooled(a, b, (int)pooledRows, (int)tokens, (int)width, mask);
        }
        _cosineSum += cosine;
        _cosineMin = Math.Min(_cosineMin, cosine);
        _elements += n;
        _samples++;
        if (ClassCount(baseline.Shape) is { } classes && IsClassifier)
            for (var row = 0; row < n / classes; row++)
            {
                var ra = a.Slice(row * classes, classes);
                var rb = b.Slice(row * classes, classes);
                _rows++;
                if (TopClasses.ArgMax(ra) == TopClasses.ArgMax(rb)) _top1++;
                // k = min(5, classes): with two classes both models' "top 5" are the same two, and overlap 2 of 2, not of 5
                _topK = Math.Min(TopK, classes);
                _topKOverlap += TopClasses.Overlap(TopClasses.Top(ra, _topK), TopClasses.Top(rb, _topK));
                _topKSlots += _topK;
            }
        else
            IsClassifier = false;
    }

    private void AddCtc(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rows, int steps, int classes)
    {
        Span<int> bestA = steps <= 1024 ? stackalloc int[steps] : new int[steps];
        Span<int> bestB = steps <= 1024 ? stackalloc int[steps] : new int[steps];
        for (var row = 0; row < rows; row++)
        {
            CtcDecoding.BestPerStep(a.Slice(row * steps * classes, steps * classes), classes, bestA);
            CtcDecoding.BestPerStep(b.Slice(row * steps * classes, steps * classes), classes, bestB);
            foreach (var ctc in _ctc) ctc.Add(bestA, bestB, classes, Name);
        }
    }

    /// <summary>
    /// The cosine of two vectors from their dot product and squared norms: 1 when both are zero, 0 when one is (or a
    /// value is not finite).
    /// </summary>
    private static double Cosine(double dot, double normA, double normB)
    {
        var cosine = normA == 0 && normB == 0 ? 1 : normA == 0 || normB == 0 ? 0 : dot / Math.Sqrt(normA * normB);
        return double.IsNaN(cosine) ? 0 : cosine;
    }

    /// <summary>The mask's values as 0/1 per token when it is [N, T] like the output's first two axes; else null (every token).</summary>
    private static double[]? TokenMask(HostTensor? mask, long rows, long tokens)
    {
        if (mask is null || !mask.Shape.SequenceEqual([rows, tokens])) return null;
        var values = new double[(int)mask.ElementCount];
        TensorTypes.ToDoubles(mask, values);
        return values;
    }

    /// <summary>Each row's token vectors averaged over the masked tokens in both outputs, and the worst cosine of the two means.</summary>
    private void AddPooled(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rows, int tokens, int width, double[]? mask)
    {
        var (pa, pb) = (new double[width], new double[width]);
        for (var row = 0; row < rows; row++)
        {
            Array.Clear(pa);
            Array.Clear(pb);
            for (var t = 0; t < tokens; t++)
            {
                if (mask is not null && mask[row * tokens + t] == 0) continue;
                var at = a.Slice((row * tokens + t) * width, width);
                var bt = b.Slice((row * tokens + t) * width, width);
                for (var k = 0; k < width; k++)
                {
                    pa[k] += at[k];
                    pb[k] += bt[k];
                }
            }
            // the mean's 1/count cancels in the cosine
            double dot = 0, na = 0, nb = 0;
            for (var k = 0; k < width; k++)
            {
                dot += pa[k] * pb[k];
                na += pa[k] * pa[k];
                nb += pb[k] * pb[k];
            }
            _pooledMin = Math.Min(_pooledMin, Cosine(dot, na, nb));
            _pooled = true;
        }
    }

    /// <summary>The class count when the output looks like classifier scores ([N, C] or [N, C, 1, 1], C ≥ 2), else null.</summary>
    public static int? ClassCount(long[] shape) => shape switch
    {
        [_, var c] when c >= 2 => (int)c,
        [_, var c, 1, 1] when c >= 2 => (int)c,
        _ => null,
    };

    /// <summary>
    /// True when every sample gave this output fewer than two values ([N, 1] with N = 1: a wake word's or a detector's
    /// one score). The cosine of one value with another is only whether their signs agree, so the cosine (mean and
    /// worst) is then taken over all samples' values together, as one vector; below two values in all, it is not known.
    /// </summary>
    public bool OneValuePerSample => _samples > 0 && _mostPerSample < 2;

    public OutputMetrics Metrics()
    {
        var pooledCosine = _elements >= 2 ? Cosine(_dotAll, _sumRef2, _sumCand2) : double.NaN;
        return new()
        {
            Name = Name,
            Samples = _samples,
            MaxAbsError = _maxAbs,
            MeanAbsError = _elements == 0 ? 0 : _sumAbs / _elements,
            RelativeL2Error = _sumRef2 == 0 ? (_sumDiff2 == 0 ? 0 : double.PositiveInfinity) : Math.Sqrt(_sumDiff2 / _sumRef2),
            CosineSimilarity = _samples == 0 ? double.NaN : OneValuePerSample ? pooledCosine : _cosineSum / _samples,
            MinCosineSimilarity = _samples == 0 ? double.NaN : OneValuePerSample ? pooledCosine : _cosineMin,
            CosineOverSamples = OneValuePerSample,
            MinPooledCosine = _pooled ? _pooledMin : null,
            PooledByTokenMask = _pooledByMask,
            SqnrDb = _sumDiff2 == 0 ? double.PositiveInfinity : 10 * Math.Log10(_sumRef2 / _sumDiff2),
            Top1Agreement = IsClassifier && _rows > 0 ? (double)_top1 / _rows : null,
            Top5Agreement = IsClassifier && _rows > 0 ? (double)_topKOverlap / _topKSlots : null,
            TopK = IsClassifier && _rows > 0 && _topK < TopK ? _topK : null,
            MaskAgreement = _elements == 0 ? [] : _maskThresholds.Select((t, i) => new MaskAgreement(t, (double)_maskAgree[i] / _elements)).ToList(),
            CtcAgreement = _ctc.Select(c => c.Metrics()).OfType<CtcAgreement>().ToList(),
        };
    }
}
