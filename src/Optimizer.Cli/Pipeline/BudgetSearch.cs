namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The search an accuracy budget makes over a ranking (most sensitive first): how few of its first items must be held
/// back for the gates to hold. Tries 1, 2, 4, … items, then bisects between the last miss and the first hit.
/// </summary>
public static class BudgetSearch
{
    /// <summary>The fewest items held back with which <paramref name="holds"/> passed, or null when even all of them did not.</summary>
    public static int? FewestHeldBack(int count, Func<int, bool> holds, int bisectRounds)
    {
        var missed = 0;
        int? held = null;
        for (var n = Math.Min(1, count); held is null && n > missed; n = Math.Min(n * 2, count))
        {
            if (holds(n)) held = n;
            else missed = n;
        }
        for (var i = 0; held is { } h && h - missed > 1 && i < bisectRounds; i++)
        {
            var mid = (missed + h) / 2;
            if (holds(mid)) held = mid;
            else missed = mid;
        }
        return held;
    }
}
