namespace Optimizer.Runtime.Validation;

/// <summary>How far the candidate's output is from the baseline's, over all samples.</summary>
public sealed record OutputMetrics
{
    public required string Name { get; init; }
    public long Samples { get; init; }
    public double MaxAbsError { get; init; }
    public double MeanAbsError { get; init; }
    /// <summary>‖b − a‖₂ / ‖a‖₂ over all elements of all samples.</summary>
    public double RelativeL2Error { get; init; }
    /// <summary>Mean over samples of the cosine similarity of the two outputs (see <see cref="CosineOverSamples"/>).</summary>
    public double CosineSimilarity { get; init; }
    public double MinCosineSimilarity { get; init; }
    /// <summary>
    /// The output has one value per sample, so <see cref="CosineSimilarity"/> and <see cref="MinCosineSimilarity"/> are
    /// both the cosine over all samples' values taken together (one value's cosine is only its sign); written only when true.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool CosineOverSamples { get; init; }
    /// <summary>
    /// Outputs [N, T, C] of token vectors: the worst cosine, over rows, of the two outputs' means over the row's tokens
    /// (those its token mask marks): the sentence embedding a mean-pooling user gets. Null for other shapes.
    /// </summary>
    public double? MinPooledCosine { get; init; }
    /// <summary>Whether the samples gave a token mask (an attention_mask input) for <see cref="MinPooledCosine"/>: a token output, not any [N, T, C].</summary>
    public bool PooledByTokenMask { get; init; }
    /// <summary>10·log10(‖a‖² / ‖b − a‖²); infinite when the outputs are identical.</summary>
    public double SqnrDb { get; init; }
    /// <summary>Classifier-like outputs: fraction of rows whose arg-max agrees.</summary>
    public double? Top1Agreement { get; init; }
    /// <summary>
    /// Classifier-like outputs: mean overlap of the two top-k class sets (1 = the same classes), k = min(5, classes)
    /// (<see cref="TopK"/>): a model of fewer than five classes against itself agrees fully.
    /// </summary>
    public double? Top5Agreement { get; init; }
    /// <summary>The k of <see cref="Top5Agreement"/> when the output has fewer than five classes; null (not written) for 5.</summary>
    public int? TopK { get; init; }
    /// <summary>
    /// Fraction of elements on the same side of each asked threshold in both outputs (score maps: the masks agree),
    /// for the thresholds of the <c>mask-agreement@T</c> gates; empty when none was asked.
    /// </summary>
    public IReadOnlyList<MaskAgreement> MaskAgreement { get; init; } = [];

    public double? MaskAgreementAt(double threshold) => MaskAgreement.FirstOrDefault(m => m.Threshold == threshold)?.Agreement;

    /// <summary>
    /// CTC outputs [N, T, C]: for the blank class of each <c>ctc-agreement</c> gate, how many rows decode to the same
    /// sequence and the candidate's token error rate; empty when no such gate was asked or the output is not [N, T, C].
    /// </summary>
    public IReadOnlyList<CtcAgreement> CtcAgreement { get; init; } = [];

    public CtcAgreement? CtcAgreementFor(int blank) => CtcAgreement.FirstOrDefault(c => c.Blank == blank);
}

/// <summary>How many elements two score maps put on the same side of <paramref name="Threshold"/> (x &gt; T is "in the mask").</summary>
public sealed record MaskAgreement(double Threshold, double Agreement);

/// <summary>
/// Greedy CTC decoding with blank class <paramref name="Blank"/> (-1: the last class) of <paramref name="Rows"/> rows:
/// the fraction decoded identically by both models, and the candidate's token (character) error rate, the total edit
/// distance of its decoded rows from the baseline's over the baseline's total length.
/// </summary>
public sealed record CtcAgreement(int Blank, long Rows, double Agreement, double CtcTokenErrorRate)
{
    /// <summary>The fraction of time steps (all rows) whose arg-max class is the same in both outputs.</summary>
    public double StepAgreement { get; init; } = 1;
}
