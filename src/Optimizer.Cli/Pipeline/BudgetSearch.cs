namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The search every accuracy budget (INT8, FP16/BF16, pruning) runs over a ranking, most harmful first: the model
/// with none of them held back first; while a round misses, 1, then 2, 4, ... of the ranking are held back (kept in
/// float, or left unpruned) until a round passes or the ranking is used up; then bisection between the last miss and
/// the first pass narrows how many must be held back. The last passing round is kept (or the last one tried, when
/// none passes).
/// </summary>
public static class BudgetSearch
{
    /// <summary>At most this many extra rounds narrow down how many must be held back once a round has passed.</summary>
    public const int BisectRounds = 4;

    /// <param name="tryKeeping">Builds and validates the model with the first n items of the ranking held back.</param>
    /// <param name="rank">Called once, after the first round missed: ranks the items and returns how many there are (0: no search).</param>
    public static TRound Run<TRound>(Func<int, TRound> tryKeeping, Func<TRound, bool> passed, Func<TRound, int> inFloat, Func<TRound, int> rank,
        int bisectRounds = BisectRounds)
    {
        var best = tryKeeping(0);
        if (passed(best)) return best;
        var count = rank(best);
        var missed = 0;
        for (var n = 1; !passed(best) && missed < count; n = Math.Min(n * 2, count))
        {
            var round = tryKeeping(n);
            if (passed(round)) best = round;
            else (missed, best) = (n, round);
        }
        for (var i = 0; passed(best) && inFloat(best) - missed > 1 && i < bisectRounds; i++)
        {
            var round = tryKeeping((missed + inFloat(best)) / 2);
            if (passed(round)) best = round;
            else missed = inFloat(round);
        }
        return best;
    }

    /// <summary>Each gate of a budget round with the figure it got ("cosine 0.99431"), as the reports record the rounds.</summary>
    public static List<string> Figures(Runtime.Validation.ValidationReport report) => report.Gates.Select(Figure).ToList();

    /// <summary>The gates a round missed, with their figures, for the line that says so.</summary>
    public static string Missed(Runtime.Validation.ValidationReport report) => string.Join(", ", report.Gates.Where(g => !g.Passed).Select(Figure));

    private static string Figure(Runtime.Validation.GateResult g) => $"{g.Gate} {g.Actual:G6}";

    /// <summary>
    /// The fewest of <paramref name="count"/> ranked items held back with which <paramref name="holds"/> passes, or null
    /// when even all of them do not (for a caller that has already tried holding back none).
    /// </summary>
    public static int? FewestHeldBack(int count, Func<int, bool> holds, int bisectRounds)
    {
        var best = Run(n => (Held: n, Passed: n > 0 && holds(n)), r => r.Passed, r => r.Held, _ => count, bisectRounds);
        return best.Passed ? best.Held : null;
    }
}
