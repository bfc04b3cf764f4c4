using System.Globalization;
using System.Text;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Plots;

namespace Optimizer.Runtime.Reports;

/// <summary>
/// Writes a <see cref="BenchReport"/> into a folder: latency.csv (one row per timed run), report.json, report.md and
/// the PNG plots. Each file appears only once complete.
/// </summary>
public static class BenchReportWriter
{
    /// <summary>Writes every file; returns the names written and a warning when plots have no font.</summary>
    public static (IReadOnlyList<string> Files, string? Warning) Write(BenchReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        var warning = PlotFonts.EnsureRegistered();
        var files = new List<string> { "latency.csv", "report.json", "report.md" };
        AtomicFile.Write(Path.Combine(folder, "latency.csv"), stream => WriteCsv(report, stream));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), ReportJson.Serialize(report));
        var plots = BenchPlots.Write(report, folder);
        files.AddRange(plots);
        if (report.Profile is { } profile) files.AddRange(ProfileReportWriter.WriteFiles(profile, folder));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(report, plots));
        return (files, warning);
    }

    private static void WriteCsv(BenchReport report, Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        writer.WriteLine("batch_size,run,latency_ms");
        foreach (var batch in report.Batches)
            for (var i = 0; i < batch.RunLatenciesMs.Length; i++)
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch.BatchSize},{i + 1},{batch.RunLatenciesMs[i]:0.######}"));
    }

    public static string Markdown(BenchReport report, IEnumerable<string> plots)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Benchmark: {Path.GetFileName(report.Model)}").AppendLine();
        text.AppendLine($"- model: `{report.Model}`");
        text.AppendLine($"- runtime: {report.Runtime}, provider {report.Provider}, threads {(report.Threads == 0 ? "default" : report.Threads)}");
        foreach (var line in report.SessionOptions?.Lines() ?? []) text.AppendLine($"- options in effect, {line}");
        text.AppendLine($"- data: {report.Data}");
        text.AppendLine($"- warm-up runs: {report.Warmup}; machine: {report.Machine}; date: {report.Date:u}").AppendLine();
        if (report.Interrupted)
            text.AppendLine(report.InterruptedDuring is { } step
                ? $"**Interrupted** during the {step} run: the timed figures below are whole; the {step} figures are missing."
                : "**Interrupted**: only the batch sizes below finished.").AppendLine();
        text.AppendLine("## Latency (ms) and throughput").AppendLine();
        var table = new MarkdownTable("batch", "runs", "session (ms)", "first run (ms)", "min", "mean", "std", "p50", "p90", "p95", "p99", "max", "samples/s", "peak memory (MiB)");
        foreach (var b in report.Batches)
        {
            var l = b.LatencyMs;
            table.Row(b.BatchSize, b.Runs, (object?)b.ColdStart.SessionCreationMs ?? "–", (object?)b.ColdStart.FirstRunMs ?? "–", l.Min, l.Mean, l.Std, l.P50, l.P90, l.P95, l.P99, l.Max,
                b.ThroughputPerSecond, (object?)(b.PeakMemoryBytes / 1048576.0) ?? "–");
        }
        table.AppendTo(text);
        if (report.Concurrency is { Count: > 0 } levels)
        {
            text.AppendLine($"## Concurrency (batch {report.Batches[0].BatchSize}, requests in flight on one session)").AppendLine();
            var concurrency = new MarkdownTable("level", "requests", "p50 (ms)", "p95 (ms)", "p99 (ms)", "samples/s");
            foreach (var c in levels) concurrency.Row(c.Level, c.Requests, c.LatencyMs.P50, c.LatencyMs.P95, c.LatencyMs.P99, c.ThroughputPerSecond);
            concurrency.AppendTo(text);
            if (report.ConcurrencyNote is { } note) text.AppendLine(note + ".").AppendLine();
        }
        if (report.Search is { } search)
            text.AppendLine(FormattableString.Invariant($"Batch size for p95 within {search.MaxP95Ms:0.###} ms: **{(search.Chosen?.ToString() ?? "none")}** ({search.Reason}).")).AppendLine();
        if (report.Overhead is { } o)
        {
            text.AppendLine("## Timing-loop overhead").AppendLine();
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Bare ONNX Runtime `Run` loop {o.BareRunMs:0.0000} ms/run, bare `RunWithBinding` loop {o.BareBindingRunMs:0.0000} ms/run, bench timing loop {o.TimingLoopMs:0.0000} ms/run: {o.OverheadPercent:+0.00;-0.00} % against `Run`, {o.TimingCostPercent:+0.00;-0.00} % against `RunWithBinding` (median of {o.Rounds} alternating rounds of {o.RunsPerLoop} runs)."));
            text.AppendLine();
        }
        if (report.Profile is { } profile) text.Append(ProfileReportWriter.Markdown(profile));
        var list = plots.ToList();
        if (list.Count > 0)
        {
            text.AppendLine("## Plots").AppendLine();
            foreach (var plot in list) text.AppendLine($"![{Path.GetFileNameWithoutExtension(plot)}]({plot})").AppendLine();
        }
        return text.ToString();
    }
}
