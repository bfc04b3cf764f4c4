namespace Optimizer.Cli.Zoo;

/// <summary>
/// Joins the zoo reports of a run's shards into the report of the whole zoo (<c>optimize merge-reports</c>). The
/// shards must be one zoo (the same identity), every slice 0..N-1 exactly once, and every job of the zoo in exactly
/// one row of the slice it hashes to; otherwise <see cref="Problems"/> names what is wrong and nothing is merged.
/// </summary>
public static class ZooReportMerge
{
    /// <summary>What keeps the reports from being one zoo; empty when they merge.</summary>
    public static List<string> Problems(IReadOnlyList<(string Dir, ZooReport Report)> shards)
    {
        var problems = new List<string>();
        var merged = shards.Where(s => s.Report.Shard is null).ToList();
        if (merged.Count > 0) problems.Add($"already merged, not a shard: {string.Join(", ", merged.Select(s => s.Dir))}");
        var sharded = shards.Where(s => s.Report.Shard is not null).ToList();
        var zoos = sharded.GroupBy(s => s.Report.Zoo.Id).ToList();
        if (zoos.Count > 1)
            problems.Add("from different zoos: " + string.Join(", ", zoos.Select(z => $"{string.Join(", ", z.Select(s => s.Dir))} (zoo {z.Key[..12]})")));
        var counts = sharded.Select(s => s.Report.Shard!.Count).Distinct().ToList();
        if (counts.Count > 1)
            problems.Add("different numbers of shards: " + string.Join(", ", sharded.Select(s => $"{s.Dir} ({s.Report.Shard})")));
        if (problems.Count > 0 || sharded.Count == 0) return problems;

        var count = counts[0];
        foreach (var twice in sharded.GroupBy(s => s.Report.Shard!.Index).Where(g => g.Count() > 1))
            problems.Add($"shard {twice.Key}/{count} given twice: {string.Join(", ", twice.Select(s => s.Dir))}");
        var missingShards = Enumerable.Range(0, count).Where(i => sharded.All(s => s.Report.Shard!.Index != i)).ToList();
        if (missingShards.Count > 0) problems.Add($"shard{(missingShards.Count > 1 ? "s" : "")} missing: {string.Join(", ", missingShards.Select(i => $"{i}/{count}"))}");

        var rows = sharded.SelectMany(s => s.Report.Jobs.Select(j => (s.Dir, s.Report.Shard!, Job: j))).ToList();
        foreach (var twice in rows.GroupBy(r => r.Job.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"job {twice.Key} appears {twice.Count()} times: {string.Join(", ", twice.Select(r => r.Dir))}");
        var zoo = sharded[0].Report.Zoo;
        var known = zoo.Jobs.ToHashSet(StringComparer.Ordinal);
        var unknown = rows.Where(r => !known.Contains(r.Job.Name)).Select(r => $"{r.Job.Name} ({r.Dir})").ToList();
        if (unknown.Count > 0) problems.Add($"jobs not in the zoo: {string.Join(", ", unknown)}");
        var misplaced = rows.Where(r => known.Contains(r.Job.Name) && Shard.Of(r.Job.Name, count) != r.Item2.Index)
            .Select(r => $"{r.Job.Name} ({r.Dir}, shard {r.Item2}; belongs to {Shard.Of(r.Job.Name, count)}/{count})").ToList();
        if (misplaced.Count > 0) problems.Add($"jobs in the wrong shard: {string.Join(", ", misplaced)}");
        // Jobs of a missing shard are said once, by the missing shard.
        var absent = zoo.Jobs.Where(n => rows.All(r => r.Job.Name != n) && !missingShards.Contains(Shard.Of(n, count))).ToList();
        if (absent.Count > 0) problems.Add($"job{(absent.Count > 1 ? "s" : "")} in no report: {string.Join(", ", absent)}");
        return problems;
    }

    /// <summary>The whole zoo's report, its rows in the zoo's order. Call only when <see cref="Problems"/> is empty.</summary>
    public static ZooReport Merge(IReadOnlyList<ZooReport> shards)
    {
        var zoo = shards[0].Zoo;
        var byName = shards.SelectMany(s => s.Jobs).ToDictionary(j => j.Name, StringComparer.Ordinal);
        return ZooReport.Create(zoo, null, shards.Count, zoo.Jobs.Select(n => byName[n]).ToList());
    }
}
