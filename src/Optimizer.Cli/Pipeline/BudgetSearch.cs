namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The search both accuracy budgets (INT8 and FP16/BF16) run over a ranking of nodes, most harmful first: the model
/// with none of them in float first; while a round misses, 1, then 2, 4, ... of the ranking go back to float until a
/// round passes or the ranking is used up; then bisection between the last miss and the first pass narrows how many
/// must be float. The last passing round is kept (or the last one tried, when none passes).
/// </summary>
public static class BudgetSearch
{
    /// <summary>At most this many extra rounds narrow down how many nodes must be float once a round has passed.</summary>
    public const int BisectRounds = 4;

    /// <param name="tryKeeping">Builds and validates the model with the first n nodes of the ranking in float.</param>
    /// <param name="rank">Called once, after the first round missed: ranks the nodes and returns how many there are (0: no search).</param>
    public static TRound Run<TRound>(Func<int, TRound> tryKeeping, Func<TRound, bool> passed, Func<TRound, int> inFloat, Func<TRound, int> rank)
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
        for (var i = 0; passed(best) && inFloat(best) - missed > 1 && i < BisectRounds; i++)
        {
            var round = tryKeeping((missed + inFloat(best)) / 2);
            if (passed(round)) best = round;
            else missed = inFloat(round);
        }
        return best;
    }
}
