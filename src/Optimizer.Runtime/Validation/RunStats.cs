using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// The running statistics of one model in a validate run: its latency histogram, and with labels how many
/// samples it got right on the first classifier-like output.
/// </summary>
public sealed class RunStats
{
    public LatencyHistogram Latency { get; } = new();
    public long Labelled { get; private set; }
    public long Correct { get; private set; }

    public void CountLabel(HostTensor? output, int? label)
    {
        if (label is null || output is null || OutputStats.ClassCount(output.Shape) is not { } classes) return;
        Span<double> scores = new double[output.ElementCount];
        TensorTypes.ToDoubles(output, scores);
        Labelled++;
        if (TopClasses.ArgMax(scores[..classes]) == label) Correct++;
    }

    public double Accuracy => Labelled == 0 ? double.NaN : (double)Correct / Labelled;
}
