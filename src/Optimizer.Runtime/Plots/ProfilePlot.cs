using Optimizer.Runtime.Benchmark.Profiling;
using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>
/// bench --profile's PNG: where the time goes, as horizontal bars of time per run, slowest at the top: the top op
/// types on the left, the top nodes on the right. With --baseline: each op type's time in both models, paired.
/// </summary>
public static class ProfilePlot
{
    public const int Top = 15;
    private const int MaxLabelLength = 34;

    public static void SavePng(ModelProfile profile, string path)
    {
        if (PlotFonts.EnsureRegistered() is { } warning) Console.Error.WriteLine(warning);
        var name = Path.GetFileName(profile.Model);
        using var opTypes = Bars(profile.Table.OpTypes.Take(Top).ToList(), $"{name}: top op types", "#2171b5");
        using var nodes = Bars(profile.Table.Nodes.Take(Top).ToList(), $"{name}: slowest nodes", "#cb181d");
        // An engine's profile (trtexec) names layers only: then the layers alone.
        if (profile.Table.OpTypes.Count == 0) PlotFile.SavePng(nodes, path);
        else PlotFile.SavePngSideBySide(opTypes, nodes, path);
    }

    public static void SavePng(ProfileComparison comparison, string path)
    {
        if (PlotFonts.EnsureRegistered() is { } warning) Console.Error.WriteLine(warning);
        var rows = comparison.OpTypes.Take(Top).ToList();
        var plot = new Plot();
        plot.Title($"Time per run by op type: {Path.GetFileName(comparison.Baseline.Model)} (baseline) and {Path.GetFileName(comparison.Candidate.Model)}");
        plot.XLabel("ms per run");
        var n = rows.Count;
        var baseline = rows.Select((r, i) => new Bar { Position = n - 1 - i + 0.2, Size = 0.4, Value = r.BaselineMsPerRun, FillColor = Color.FromHex("#9ecae1"), LineWidth = 0 }).ToList();
        var candidate = rows.Select((r, i) => new Bar { Position = n - 1 - i - 0.2, Size = 0.4, Value = r.CandidateMsPerRun, FillColor = Color.FromHex("#08519c"), LineWidth = 0 }).ToList();
        plot.Add.Bars(baseline).Horizontal = true;
        plot.Add.Bars(candidate).Horizontal = true;
        Label(plot, rows.Select(r => r.OpType).ToList(), Math.Max(1e-9, rows.Select(r => Math.Max(r.BaselineMsPerRun, r.CandidateMsPerRun)).DefaultIfEmpty(0).Max()));
        plot.Legend.ManualItems.AddRange(
        [
            new LegendItem { LabelText = "baseline", FillColor = Color.FromHex("#9ecae1") },
            new LegendItem { LabelText = "candidate", FillColor = Color.FromHex("#08519c") },
        ]);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom);
        PlotFile.SavePng(plot, path, PlotFile.Width, Math.Max(PlotFile.Height, 140 + 28 * n));
    }

    private static Plot Bars(IReadOnlyList<ProfileEntry> rows, string title, string color)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("ms per run");
        var n = rows.Count;
        var bars = plot.Add.Bars(rows.Select((r, i) => new Bar
        {
            Position = n - 1 - i,
            Value = r.MsPerRun,
            FillColor = Color.FromHex(color),
            LineWidth = 0,
            Label = $"{r.Share * 100:0.0} %",
            CenterLabel = false,
        }).ToList());
        bars.Horizontal = true;
        bars.ValueLabelStyle.FontSize = 10;
        Label(plot, rows.Select(r => r.Name == r.OpType ? r.Name : $"{r.Name} ({r.OpType})").ToList(), Math.Max(1e-9, rows.Select(r => r.MsPerRun).DefaultIfEmpty(0).Max()));
        return plot;
    }

    private static void Label(Plot plot, IReadOnlyList<string> labels, double max)
    {
        var n = labels.Count;
        if (n == 0)
        {
            plot.Add.Annotation("nothing profiled");
            return;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), labels.Select(Shorten).ToArray());
        plot.Axes.Left.TickLabelStyle.FontSize = 10;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(-0.7, n - 0.3);
        plot.Axes.SetLimitsX(0, max * 1.25);
    }

    private static string Shorten(string label) => label.Length <= MaxLabelLength ? label : "…" + label[^(MaxLabelLength - 1)..];
}
