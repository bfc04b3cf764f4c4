using System.Globalization;
using Optimizer.Runtime.Benchmark.Profiling;
using Optimizer.Runtime.Reports;

namespace Optimizer.Cli.Commands;

/// <summary>bench --profile on stdout: the op types and the slowest nodes; with --baseline, op types side by side.</summary>
public static class ProfileSummary
{
    public const int TopOpTypes = 15;
    public const int TopNodes = 10;

    public static void Print(ModelProfile profile, TextWriter output)
    {
        output.WriteLine($"profile: {ProfileReportWriter.Header(profile)}");
        if (profile.Table.OpTypes.Count == 0) output.WriteLine(ProfileReportWriter.NoOpTypes);
        else output.WriteLine($"{"op type",-28} {"ms/run",10} {"share",7} {"calls",7} {"mean ms",10}");
        foreach (var o in profile.Table.OpTypes.Take(TopOpTypes))
            output.WriteLine(Line($"{Cut(o.Name, 28),-28} {o.MsPerRun,10:0.0000} {o.Share * 100,6:0.0}% {o.Calls,7} {o.MeanMs,10:0.0000}"));
        if (profile.Table.OpTypes.Count > TopOpTypes) output.WriteLine($"... and {profile.Table.OpTypes.Count - TopOpTypes} more op types (all in --report)");
        var (rows, row) = profile.Table.OpTypes.Count == 0 ? ("layers", "layer") : ("nodes", "node");
        output.WriteLine($"slowest {rows} (top {Math.Min(TopNodes, profile.Table.Nodes.Count)} of {profile.Table.Nodes.Count}):");
        output.WriteLine($"{row,-44} {"op type",-20} {"ms/run",10} {"share",7} {"calls",7}");
        foreach (var n in profile.Table.Nodes.Take(TopNodes))
            output.WriteLine(Line($"{Cut(n.Name, 44),-44} {Cut(n.OpType, 20),-20} {n.MsPerRun,10:0.0000} {n.Share * 100,6:0.0}% {n.Calls,7}"));
    }

    public static void Print(ProfileComparison comparison, TextWriter output)
    {
        output.WriteLine($"profile, baseline: {ProfileReportWriter.Header(comparison.Baseline)}");
        output.WriteLine($"profile, candidate: {ProfileReportWriter.Header(comparison.Candidate)}");
        output.WriteLine($"{"op type",-28} {"baseline ms",12} {"candidate ms",13} {"change ms",10} {"ratio",7}");
        foreach (var r in comparison.OpTypes)
            output.WriteLine(Line($"{Cut(r.OpType, 28),-28} {r.BaselineMsPerRun,12:0.0000} {r.CandidateMsPerRun,13:0.0000} {r.ChangeMs,10:+0.0000;-0.0000;0} {(r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "new"),7}"));
        var (a, b) = (comparison.Baseline.Table, comparison.Candidate.Table);
        var (msA, msB) = (a.KernelTimeMs / Math.Max(a.Runs, 1), b.KernelTimeMs / Math.Max(b.Runs, 1));
        output.WriteLine(Line($"{"all kernels",-28} {msA,12:0.0000} {msB,13:0.0000} {msB - msA,10:+0.0000;-0.0000;0}"));
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Cut(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];
}
