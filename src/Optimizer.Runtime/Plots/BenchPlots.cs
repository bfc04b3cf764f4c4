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
        if (report.Concurrency is { Count: > 1 })
        {
            PlotFile.SavePng(ConcurrencyCurve(report), Path.Combine(folder, "concurrency.png"));
            written.Add("concurrency.png");
        }
        if (report.Search is not null)
        {
            PlotFile.SavePng(SearchCurve(report), Path.Combine(folder, "batch_search.png"));
            written.Add("batch_search.png");
        }
        return written;
    }

    /// <summary>--concurrency: throughput (left axis) and p95 per request (right axis) against the requests in flight.</summary>
    private static Plot ConcurrencyCurve(BenchReport report)
    {
        var plot = new Plot();
        var levels = report.Concurrency!;
        var xs = levels.Select(c => (double)c.Level).ToArray();
        var throughput = plot.Add.Scatter(xs, levels.Select(c => c.ThroughputPerSecond).ToArray());
        throughput.LegendText = "throughput (samples/s, left)";
        throughput.MarkerSize = 8;
        throughput.LineWidth = 2;
        var p95 = plot.Add.Scatter(xs, levels.Select(c => c.LatencyMs.P95).ToArray());
        p95.LegendText = "p95 per request (ms, right)";
        p95.MarkerSize = 8;
        p95.LinePattern = LinePattern.Dashed;
        p95.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, levels.Select(c => c.Level.ToString()).ToArray());
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title($"{ModelName(report.Model)}: requests in flight on one session, batch {report.Batches[0].BatchSize}\n{Setting(report)}");
        plot.XLabel("concurrency (requests in flight)");
        plot.Axes.Left.Label.Text = "throughput (samples/s)";
        plot.Axes.Right.Label.Text = "p95 latency per request (ms)";
        plot.Axes.SetLimitsY(0, levels.Max(c => c.ThroughputPerSecond) * 1.2, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, levels.Max(c => c.LatencyMs.P95) * 1.2, plot.Axes.Right);
        return plot;
    }

    /// <summary>--batch auto: throughput against p95 for every size tried, the budget as a line, the choice marked.</summary>
    private static Plot SearchCurve(BenchReport report)
    {
        var search = report.Search!;
        var plot = new Plot();
        var batches = report.Batches.OrderBy(b => b.BatchSize).ToList();
        var curve = plot.Add.Scatter(batches.Select(b => b.LatencyMs.P95).ToArray(), batches.Select(b => b.ThroughputPerSecond).ToArray());
        curve.MarkerSize = 8;
        curve.LineWidth = 2;
        curve.LegendText = "batch sizes tried";
        foreach (var b in batches)
        {
            var label = plot.Add.Text($"{b.BatchSize}", b.LatencyMs.P95, b.ThroughputPerSecond);
            label.LabelFontSize = 11;
        }
        var budget = plot.Add.VerticalLine(search.MaxP95Ms, 2, Colors.Red);
        budget.LinePattern = LinePattern.Dashed;
        budget.LegendText = $"p95 budget {search.MaxP95Ms:0.###} ms";
        if (batches.FirstOrDefault(b => b.BatchSize == search.Chosen) is { } chosen)
        {
            var marker = plot.Add.Marker(chosen.LatencyMs.P95, chosen.ThroughputPerSecond, MarkerShape.OpenCircle, 18, Colors.Green);
            marker.LegendText = $"chosen: batch {chosen.BatchSize}";
        }
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title($"{ModelName(report.Model)}: throughput against p95 latency\n{Setting(report)}");
        plot.XLabel("p95 latency per run (ms)");
        plot.YLabel("throughput (samples/s)");
        plot.Axes.SetLimitsY(0, batches.Max(b => b.ThroughputPerSecond) * 1.15);
        return plot;
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
        plot.ShowLegend(Alignment.UpperRight); // inside: outside, it took a fifth of the width
        plot.Title($"{ModelName(report.Model)}: latency, batch {batch.BatchSize} ({batch.Runs} runs)\n{Setting(report)}");
        plot.XLabel("latency per run (ms)");
        plot.YLabel("runs");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true }; // counts of runs
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static Plot LatencyAgainstBatch(BenchReport report)
    {
        var plot = new Plot();
        var sizes = BatchPositions(report);
        foreach (var (label, pick) in new (string, Func<LatencyStats, double>)[] { ("p50", s => s.P50), ("p95", s => s.P95), ("p99", s => s.P99) })
        {
            var scatter = plot.Add.Scatter(sizes, report.Batches.Select(b => pick(b.LatencyMs)).ToArray());
            scatter.LegendText = label;
            scatter.MarkerSize = 8;
        }
        plot.ShowLegend(Alignment.UpperLeft);
        BatchAxis(plot, report, sizes);
        plot.Title($"{ModelName(report.Model)}: latency per run against batch size\n{Setting(report)}");
        plot.YLabel("latency per run (ms)");
        plot.Axes.SetLimitsY(0, report.Batches.Max(b => b.LatencyMs.P99) * 1.1);
        return plot;
    }

    private static Plot ThroughputAgainstBatch(BenchReport report)
    {
        var plot = new Plot();
        var sizes = BatchPositions(report);
        var scatter = plot.Add.Scatter(sizes, report.Batches.Select(b => b.ThroughputPerSecond).ToArray());
        scatter.MarkerSize = 8;
        scatter.LineWidth = 2;
        BatchAxis(plot, report, sizes);
        plot.Title($"{ModelName(report.Model)}: throughput against batch size\n{Setting(report)}");
        plot.YLabel("throughput (samples/s)");
        plot.Axes.SetLimitsY(0, report.Batches.Max(b => b.ThroughputPerSecond) * 1.1);
        return plot;
    }

    /// <summary>Batch sizes spanning more than a factor of 8 sit on a logarithmic axis (1, 8, 64 evenly apart), else a linear one.</summary>
    internal static double[] BatchPositions(BenchReport report)
    {
        var sizes = report.Batches.Select(b => (double)b.BatchSize).ToArray();
        return LogarithmicBatches(sizes) ? sizes.Select(Math.Log2).ToArray() : sizes;
    }

    internal static bool LogarithmicBatches(double[] sizes) => sizes.Length > 1 && sizes.Max() / sizes.Min() > 8;

    private static void BatchAxis(Plot plot, BenchReport report, double[] positions)
    {
        var logarithmic = LogarithmicBatches(report.Batches.Select(b => (double)b.BatchSize).ToArray());
        plot.XLabel(logarithmic ? "batch size (logarithmic)" : "batch size");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, report.Batches.Select(b => b.BatchSize.ToString()).ToArray());
    }

    /// <summary>The model as the user knows it: its path relative to the current folder when inside it, else folder/file (not model.onnx alone).</summary>
    internal static string ModelName(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative)) return relative;
        var folder = Path.GetFileName(Path.GetDirectoryName(full));
        return string.IsNullOrEmpty(folder) ? Path.GetFileName(full) : $"{folder}/{Path.GetFileName(full)}";
    }

    /// <summary>Where the figures come from: provider, threads and machine.</summary>
    internal static string Setting(BenchReport report) =>
        $"{report.Provider}, threads {(report.Threads == 0 ? "default" : report.Threads.ToString())}, {report.Machine}";
}
