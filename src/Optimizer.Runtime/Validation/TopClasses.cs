namespace Optimizer.Runtime.Validation;

/// <summary>Arg-max and top-k of a row of class scores (ties go to the lower index, as numpy's argmax).</summary>
public static class TopClasses
{
    public static int ArgMax(ReadOnlySpan<double> scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>The indices of the k largest scores, largest first.</summary>
    public static int[] Top(ReadOnlySpan<double> scores, int k)
    {
        k = Math.Min(k, scores.Length);
        var top = new int[k];
        var count = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (count == k && scores[i] <= scores[top[k - 1]]) continue;
            var at = count < k ? count++ : k - 1;
            while (at > 0 && scores[i] > scores[top[at - 1]])
            {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
        }
        return top;
    }

    /// <summary>How many classes two top-k lists share.</summary>
    public static int Overlap(int[] a, int[] b) => a.Count(b.Contains);
}
