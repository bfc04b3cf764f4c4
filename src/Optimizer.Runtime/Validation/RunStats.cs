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

    /// <summary>
    /// A text recognizer's reading of one sample against its true text: the [1, T, C] (or time-major [T, 1, C]) output
    /// greedy-CTC decoded with blank 0 and <paramref name="dictionary"/>'s characters; exact matches count as correct.
    /// Both texts are trimmed of leading and trailing whitespace first (<see cref="TextMatch"/>), for the match and the
    /// character error rate. Returns the text read (untrimmed), or null when the sample has no text or the output
    /// is not one line's steps.
    /// </summary>
    public string? CountText(HostTensor? output, string? text, CtcDictionary dictionary)
    {
        if (text is null || output?.Shape is not [var a, var b, var classes] || !(a == 1 || b == 1)) return null;
        var steps = (int)(a == 1 ? b : a);
        var scores = new double[output.ElementCount];
        TensorTypes.ToDoubles(output, scores);
        var best = new int[steps];
        CtcDecoding.BestPerStep(scores, (int)classes, best);
        Labelled++;
        var read = dictionary.Text(CtcDecoding.Greedy(best, 0), classes);
        if (TextMatch.Exact(read, text)) Correct++;
        // characters as Unicode scalar values, so that one CJK or accented character counts once
        var truth = TextMatch.Normalize(text).EnumerateRunes().Select(r => r.Value).ToList();
        TextErrors += CtcDecoding.EditDistance(TextMatch.Normalize(read).EnumerateRunes().Select(r => r.Value).ToList(), truth);
        TextCharacters += truth.Count;
        return read;
    }

    /// <summary>Edits (insertions, deletions, substitutions) from the texts read to the true texts, over all labelled lines.</summary>
    public long TextErrors { get; private set; }

    /// <summary>Characters of the true texts of the labelled lines.</summary>
    public long TextCharacters { get; private set; }

    /// <summary>Character error rate against the true text: edits over the truth's characters.</summary>
    public double? CharacterErrorRate => TextCharacters == 0 ? null : (double)TextErrors / TextCharacters;

    public double Accuracy => Labelled == 0 ? double.NaN : (double)Correct / Labelled;
}
