using System.Globalization;
using System.Text;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Benchmark.Profiling;
using Optimizer.Runtime.Plots;

namespace Optimizer.Runtime.Reports;

/// <summary>
/// bench --profile in a report folder: the profiler's own trace (a copy), profile.png, and the report.md section
/// (op types and the slowest nodes; with --baseline, op types side by side).
/// </summary>
public static class ProfileReportWriter
{
    public const string PlotFileName = "profile.png";
    public const int TopNodes = 20;
    public const string NoOpTypes = "(the profile names layers, not op types: see the layers below)";

    /// <summary>Writes the trace copy(ies) and the plot; returns the file names written.</summary>
    public static IReadOnlyList<string> WriteFiles(ModelProfile profile, string folder)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, profile.TraceFileName), profile.Trace);
        ProfilePlot.SavePng(profile, Path.Combine(folder, PlotFileName));
        return [profile.TraceFileName, PlotFileName];
    }

    public static IReadOnlyList<string> WriteFiles(ProfileComparison comparison, string folder)
    {
        var (a, b) = (comparison.Baseline, comparison.Candidate);
        // Two models of the same file name (a.onnx in two folders) must not share a trace file.
        var baselineName = a.TraceFileName == b.TraceFileName ? "baseline_" + a.TraceFileName : a.TraceFileName;
        AtomicFile.WriteAllText(Path.Combine(folder, baselineName), a.Trace);
        AtomicFile.WriteAllText(Path.Combine(folder, b.TraceFileName), b.Trace);
        ProfilePlot.SavePng(comparison, Path.Combine(folder, PlotFileName));
        return [baselineName, b.TraceFileName, PlotFileName];
    }

    public static string Markdown(ModelProfile profile)
    {
        var text = new StringBuilder();
        text.AppendLine($"## Profile: where the time goes ({Header(profile)})").AppendLine();
        if (profile.Table.OpTypes.Count == 0) text.AppendLine(NoOpTypes).AppendLine();
        var opTypes = new MarkdownTable("op type", "ms per run", "share", "calls", "mean per call (ms)", "total (ms)");
        foreach (var o in profile.Table.OpTypes) opTypes.Row(o.Name, o.MsPerRun, Percent(o.Share), o.Calls, o.MeanMs, o.TotalMs);
        if (profile.Table.OpTypes.Count > 0) opTypes.AppendTo(text);
        text.AppendLine($"Slowest nodes (top {Math.Min(TopNodes, profile.Table.Nodes.Count)} of {profile.Table.Nodes.Count}):").AppendLine();
        var nodes = new MarkdownTable("node", "op type", "provider", "ms per run", "share", "calls", "mean per call (ms)");
        foreach (var n in profile.Table.Nodes.Take(TopNodes)) nodes.Row(n.Name, n.OpType, n.Provider, n.MsPerRun, Percent(n.Share), n.Calls, n.MeanMs);
        nodes.AppendTo(text);
        text.AppendLine($"The profiler's trace: `{profile.TraceFileName}`; ![profile]({PlotFileName})").AppendLine();
        return text.ToString();
    }

    public static string Markdown(ProfileComparison comparison)
    {
        var text = new StringBuilder();
        text.AppendLine($"## Profile: op types side by side (baseline {Header(comparison.Baseline)}; candidate {Header(comparison.Candidate)})").AppendLine();
        var table = new MarkdownTable("op type", "baseline ms per run", "candidate ms per run", "change (ms)", "candidate / baseline");
        foreach (var r in comparison.OpTypes)
            table.Row(r.OpType, r.BaselineMsPerRun, r.CandidateMsPerRun, r.ChangeMs, r.Ratio is { } x ? FormattableString.Invariant($"{x:0.00}x") : "new");
        var (a, b) = (comparison.Baseline.Table, comparison.Candidate.Table);
        table.Row("**all kernels**", a.KernelTimeMs / Math.Max(a.Runs, 1), b.KernelTimeMs / Math.Max(b.Runs, 1),
            b.KernelTimeMs / Math.Max(b.Runs, 1) - a.KernelTimeMs / Math.Max(a.Runs, 1), "");
        table.AppendTo(text);
        text.AppendLine($"![op types side by side]({PlotFileName})").AppendLine();
        return text.ToString();
    }

    /// <summary>What was profiled, in a few words: batch, runs, warm-up, source, and how much of the run the kernels cover.</summary>
    public static string Header(ModelProfile p)
    {
        var coverage = p.Table.KernelCoverage is { } c ? string.Create(CultureInfo.InvariantCulture, $", kernels {c * 100:0.#} % of the run time") : "";
        var warmup = p.Warmup > 0 ? $" after {p.Warmup} warm-up" : "";
        return $"{Path.GetFileName(p.Model)}, batch {p.BatchSize}, {p.Table.Runs} profiled runs{warmup}, {p.Table.Source}{coverage}";
    }

    private static string Percent(double share) => string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.0} %");
}
