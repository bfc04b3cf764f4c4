using Optimizer.Runtime.Benchmark;
using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>The benchmark's plots: a latency histogram per batch size, and latency and throughput against batch size.</summary>
public static class BenchPlots
{
    /// <summary>Writes the plots into <paramref name="folder"/> and returns the file names written.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string folder)
    {
        var written = new List<string>();
        foreach (var batch in report.Batches)
        {
            var name = report.Batches.Count == 1 ? "latency_histogram.png" : $"latency_histogram_b{batch.BatchSize}.png";
            PlotFile.SavePng(Histogram(report, batch), Path.Combine(folder, name));
            written.Add(name);
        }
        if (report.Batches.Count > 1)
        {
            PlotFile.SavePng(LatencyAgainstBatch(report), Path.Combine(folder, "latency_vs_batch.png"));
            PlotFile.SavePng(ThroughputAgainstBatch(report), Path.Combine(folder, "throughput_vs_batch.png"));
            written.Add("latency_vs_batch.png");
            written.Add("throughput_vs_batch.png");
        }
        return written;
    }

    private static Plot Histogram(BenchReport report, BatchResult batch)
    {
        var plot = new Plot();
        var values = batch.RunLatenciesMs;
        var bins = Math.Clamp((int)Math.Sqrt(values.Length) * 2, 10, 80);
        var (low, high) = (batch.LatencyMs.Min, batch.LatencyMs.Max);
        if (high <= low) high = low + 1e-3;
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, low, high);
        histogram.AddRange(values);
        var bars = plot.Add.Histogram(histogram);
        bars.BarWidthFraction = 0.9;
        foreach (var (label, value, color) in new[] { ("p50", batch.LatencyMs.P50, Colors.Green), ("p95", batch.LatencyMs.P95, Colors.Orange), ("p99", batch.LatencyMs.P99, Colors.Red) })
        {
            var line = plot.Add.VerticalLine(value, 2, color);
            line.LegendText = $"{label} {value:F2} ms";
            line.LinePattern = LinePattern.Dashed;
        }
        plot.ShowLegend(Edge.Right); // outside the data area: it never hides a bar
        plot.Title($"{Path.GetFileName(report.Model)}: latency, batch {batch.BatchSize} ({batch.Runs} runs, {report.Provider})");
        plot.XLabel("latency per run (ms)");
        plot.YLabel("runs");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true }; // counts of runs
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot LatencyAgainstBatch(BenchReport report)
    {
        var plot = new Plot();
        var sizes = report.Batches.Select(b => (double)b.BatchSize).ToArray();
        foreach (var (label, pick) in new (string, Func<LatencyStats, double>)[] { ("p50", s => s.P50), ("p95", s => s.P95), ("p99", s => s.P99) })
        {
            var scatter = plot.Add.Scatter(sizes, report.Batches.Select(b => pick(b.LatencyMs)).ToArray());
            scatter.LegendText = label;
            scatter.MarkerSize = 8;
        }
        plot.ShowLegend(Alignment.UpperLeft);
        BatchAxis(plot, sizes);
        plot.Title($"{Path.GetFileName(report.Model)}: latency per run against batch size");
        plot.YLabel("latency per run (ms)");
        plot.Axes.SetLimitsY(0, report.Batches.Max(b => b.LatencyMs.P99) * 1.1);
        return plot;
    }

    private static Plot ThroughputAgainstBatch(BenchReport report)
    {
        var plot = new Plot();
        var sizes = report.Batches.Select(b => (double)b.BatchSize).ToArray();
        var scatter = plot.Add.Scatter(sizes, report.Batches.Select(b => b.ThroughputPerSecond).ToArray());
        scatter.MarkerSize = 8;
        scatter.LineWidth = 2;
        BatchAxis(plot, sizes);
        plot.Title($"{Path.GetFileName(report.Model)}: throughput against batch size");
        plot.YLabel("throughput (samples/s)");
        plot.Axes.SetLimitsY(0, report.Batches.Max(b => b.ThroughputPerSecond) * 1.1);
        return plot;
    }

    private static void BatchAxis(Plot plot, double[] sizes)
    {
        plot.XLabel("batch size");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(sizes, sizes.Select(s => s.ToString("0")).ToArray());
    }
}
