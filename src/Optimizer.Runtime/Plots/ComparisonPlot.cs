using Optimizer.Runtime.Benchmark;
using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>
/// bench --baseline's plot: on the left both models' latency distributions (overlaid histograms for one batch size;
/// for several, each model's p50 with its min-p99 range per batch size), on the right both throughputs per batch size.
/// </summary>
public static class ComparisonPlot
{
    private static readonly Color BaselineColor = Colors.SteelBlue;
    private static readonly Color CandidateColor = Colors.OrangeRed;

    public static void SavePng(BenchComparison c, string path) => PlotFile.SavePngSideBySide(Latency(c), Throughput(c), path);

    private static Plot Latency(BenchComparison c)
    {
        var plot = new Plot();
        if (c.Speedups.Count == 1)
        {
            var (a, b) = (c.Baseline.Batches[0], c.Candidate.Batches[0]);
            var (low, high) = (Math.Min(a.LatencyMs.Min, b.LatencyMs.Min), Math.Max(a.LatencyMs.P99, b.LatencyMs.P99));
            if (high <= low) high = low + 1e-3;
            var bins = Math.Clamp((int)Math.Sqrt(a.Runs) * 2, 10, 80);
            foreach (var (label, batch, color) in new[] { ("baseline", a, BaselineColor), ("candidate", b, CandidateColor) })
            {
                var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, low, high);
                histogram.AddRange(batch.RunLatenciesMs.Where(v => v <= high));
                var bars = plot.Add.Histogram(histogram);
                bars.BarWidthFraction = 0.9;
                foreach (var bar in bars.Bars) bar.FillColor = color.WithAlpha(0.5);
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{label} p50 {batch.LatencyMs.P50:F2} ms", FillColor = color.WithAlpha(0.5) });
            }
            var e = c.Speedups[0].Latency;
            plot.Title(FormattableString.Invariant($"latency, batch {a.BatchSize}: speed-up {e.Ratio:0.00}x (95 % interval {e.Low:0.00}-{e.High:0.00})"));
            plot.XLabel("latency per run (ms), up to the larger p99");
            plot.YLabel("runs");
            plot.Axes.Margins(bottom: 0);
        }
        else
        {
            for (var i = 0; i < c.Speedups.Count; i++)
                foreach (var (label, report, color, offset) in new[] { ("baseline", c.Baseline, BaselineColor, -0.12), ("candidate", c.Candidate, CandidateColor, 0.12) })
                {
                    var l = report.Batches[i].LatencyMs;
                    var line = plot.Add.Line(i + offset, l.Min, i + offset, l.P99);
                    line.Color = color;
                    line.LineWidth = 3;
                    var marker = plot.Add.Marker(i + offset, l.P50, MarkerShape.FilledCircle, 9, color);
                    if (i == 0) marker.LegendText = $"{label}: p50, min to p99";
                }
            var ticks = Enumerable.Range(0, c.Speedups.Count).Select(i => (double)i).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, c.Speedups.Select(s => s.BatchSize.ToString()).ToArray());
            // Room above the highest range for the legend.
            plot.Axes.SetLimitsY(0, Math.Max(c.Baseline.Batches.Max(b => b.LatencyMs.P99), c.Candidate.Batches.Max(b => b.LatencyMs.P99)) * 1.3);
            plot.Title("latency per batch size");
            plot.XLabel("batch size");
            plot.YLabel("latency per run (ms)");
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot Throughput(BenchComparison c)
    {
        var plot = new Plot();
        var sizes = c.Speedups.Select(s => (double)s.BatchSize).ToArray();
        foreach (var (label, report, color) in new[] { ("baseline", c.Baseline, BaselineColor), ("candidate", c.Candidate, CandidateColor) })
        {
            var scatter = plot.Add.Scatter(sizes, report.Batches.Select(b => b.ThroughputPerSecond).ToArray());
            scatter.Color = color;
            scatter.MarkerSize = 8;
            scatter.LineWidth = 2;
            scatter.LegendText = label;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(sizes, sizes.Select(s => s.ToString("0")).ToArray());
        plot.Title($"{Path.GetFileName(c.Candidate.Model)} against {Path.GetFileName(c.Baseline.Model)}: throughput ({c.Candidate.Provider}, threads {(c.Candidate.Threads == 0 ? "default" : c.Candidate.Threads)})");
        plot.XLabel("batch size");
        plot.YLabel("throughput (samples/s)");
        plot.Axes.SetLimitsY(0, Math.Max(c.Baseline.Batches.Max(b => b.ThroughputPerSecond), c.Candidate.Batches.Max(b => b.ThroughputPerSecond)) * 1.15);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
