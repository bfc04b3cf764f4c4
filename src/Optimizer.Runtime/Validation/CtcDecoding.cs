namespace Optimizer.Runtime.Validation;

/// <summary>Greedy CTC decoding of one row of per-step class scores, and the edit distance of two decoded rows.</summary>
public static class CtcDecoding
{
    /// <summary>
    /// The arg-max class of each time step, repeats merged, the blank dropped: steps "a a _ a" read "aa" (a blank
    /// between two equal classes keeps both). <paramref name="bestPerStep"/> holds the arg-max of each step.
    /// </summary>
    public static List<int> Greedy(ReadOnlySpan<int> bestPerStep, int blank)
    {
        var text = new List<int>();
        var previous = -1;
        foreach (var c in bestPerStep)
        {
            if (c != previous && c != blank) text.Add(c);
            previous = c;
        }
        return text;
    }

    /// <summary>The arg-max class of each of the T steps of a [T, C] row (ties to the lower class).</summary>
    public static void BestPerStep(ReadOnlySpan<double> row, int classes, Span<int> best)
    {
        for (var t = 0; t < best.Length; t++)
            best[t] = TopClasses.ArgMax(row.Slice(t * classes, classes));
    }

    /// <summary>Levenshtein distance: the fewest insertions, deletions and substitutions that turn a into b.</summary>
    public static int EditDistance(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        var row = new int[b.Count + 1];
        for (var j = 0; j <= b.Count; j++) row[j] = j;
        for (var i = 1; i <= a.Count; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Count; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Count];
    }
}
