namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>Sums a trace's kernels per node and per op type: time, share of all kernel time, calls, mean per call.</summary>
public static class ProfileAggregator
{
    public static ProfileTable Aggregate(ProfileTrace trace, string source)
    {
        var runs = Math.Max(trace.Runs.Count, 1);
        var totalUs = trace.Kernels.Sum(k => k.DurationUs);
        var nodes = trace.Kernels.GroupBy(k => k.Node)
            .Select(g => Entry(g.Key, g.First().OpType, string.Join("+", g.Select(k => k.Provider).Distinct()), g.Sum(k => k.DurationUs), g.Count(), totalUs, runs))
            .OrderByDescending(e => e.TotalMs).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        var opTypes = trace.Kernels.GroupBy(k => k.OpType)
            .Select(g => Entry(g.Key, g.Key, null, g.Sum(k => k.DurationUs), g.Count(), totalUs, runs))
            .OrderByDescending(e => e.TotalMs).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        return new ProfileTable
        {
            Source = source,
            Runs = trace.Runs.Count,
            RunTimeMs = trace.Runs.Count > 0 ? trace.Runs.Sum(r => r.DurationUs) / 1000.0 : null,
            KernelTimeMs = totalUs / 1000.0,
            OpTypes = opTypes,
            Nodes = nodes,
        };
    }

    private static ProfileEntry Entry(string name, string opType, string? provider, long us, int calls, long totalUs, int runs) =>
        new(name, opType, provider, us / 1000.0, totalUs > 0 ? (double)us / totalUs : 0, calls, us / 1000.0 / calls, us / 1000.0 / runs);
}
