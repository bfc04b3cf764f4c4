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
    /// <summary>Mean over samples of the cosine similarity of the two outputs.</summary>
    public double CosineSimilarity { get; init; }
    public double MinCosineSimilarity { get; init; }
    /// <summary>10·log10(‖a‖² / ‖b − a‖²); infinite when the outputs are identical.</summary>
    public double SqnrDb { get; init; }
    /// <summary>Classifier-like outputs: fraction of rows whose arg-max agrees.</summary>
    public double? Top1Agreement { get; init; }
    /// <summary>Classifier-like outputs: mean overlap of the two top-5 class sets (1 = the same five classes).</summary>
    public double? Top5Agreement { get; init; }
    /// <summary>
    /// Fraction of elements on the same side of each asked threshold in both outputs (score maps: the masks agree),
    /// for the thresholds of the <c>mask-agreement@T</c> gates; empty when none was asked.
    /// </summary>
    public IReadOnlyList<MaskAgreement> MaskAgreement { get; init; } = [];

    public double? MaskAgreementAt(double threshold) => MaskAgreement.FirstOrDefault(m => m.Threshold == threshold)?.Agreement;
}

/// <summary>How many elements two score maps put on the same side of <paramref name="Threshold"/> (x &gt; T is "in the mask").</summary>
public sealed record MaskAgreement(double Threshold, double Agreement);
