using System.Globalization;
using System.Text;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Plots;

namespace Optimizer.Runtime.Reports;

/// <summary>
/// Writes a <see cref="BenchComparison"/> (bench --baseline) into a folder: latency.csv (every timed run of both
/// models), report.json, report.md (one table) and one plot of both models (comparison.png).
/// </summary>
public static class BenchComparisonWriter
{
    public const string PlotFileName = "comparison.png";

    public static (IReadOnlyList<string> Files, string? Warning) Write(BenchComparison comparison, string folder)
    {
        Directory.CreateDirectory(folder);
        var warning = PlotFonts.EnsureRegistered();
        AtomicFile.Write(Path.Combine(folder, "latency.csv"), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            writer.WriteLine("model,batch_size,run,latency_ms");
            foreach (var (role, report) in new[] { ("baseline", comparison.Baseline), ("candidate", comparison.Candidate) })
                foreach (var batch in report.Batches)
                    for (var i = 0; i < batch.RunLatenciesMs.Length; i++)
                        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{role},{batch.BatchSize},{i + 1},{batch.RunLatenciesMs[i]:0.######}"));
        });
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), ReportJson.Serialize(comparison));
        ComparisonPlot.SavePng(comparison, Path.Combine(folder, PlotFileName));
        var profileFiles = comparison.Profile is { } profile ? ProfileReportWriter.WriteFiles(profile, folder) : [];
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(comparison));
        return (["latency.csv", "report.json", "report.md", PlotFileName, .. profileFiles], warning);
    }

    /// <summary>One row per batch size: both models' p50 and p95, throughputs, and the speed-up with its interval.</summary>
    public static MarkdownTable Table(BenchComparison c)
    {
        var table = new MarkdownTable("batch", "runs", "baseline p50 (ms)", "candidate p50 (ms)", "baseline p95", "candidate p95",
            "baseline samples/s", "candidate samples/s", "speed-up (p50)", "95 % interval", "throughput ratio");
        for (var i = 0; i < c.Speedups.Count; i++)
        {
            var (a, b, s) = (c.Baseline.Batches[i], c.Candidate.Batches[i], c.Speedups[i]);
            table.Row(s.BatchSize, a.Runs, a.LatencyMs.P50, b.LatencyMs.P50, a.LatencyMs.P95, b.LatencyMs.P95, a.ThroughputPerSecond, b.ThroughputPerSecond,
                FormattableString.Invariant($"{s.Latency.Ratio:0.00}x"), FormattableString.Invariant($"{s.Latency.Low:0.00}-{s.Latency.High:0.00}"),
                FormattableString.Invariant($"{s.Throughput:0.00}x"));
        }
        return table;
    }

    private static string Markdown(BenchComparison c)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Benchmark: {Path.GetFileName(c.Candidate.Model)} against {Path.GetFileName(c.Baseline.Model)}").AppendLine();
        text.AppendLine($"- baseline: `{c.Baseline.Model}`");
        text.AppendLine($"- candidate: `{c.Candidate.Model}`");
        text.AppendLine($"- runtime: {c.Candidate.Runtime}, provider {c.Candidate.Provider}, threads {(c.Candidate.Threads == 0 ? "default" : c.Candidate.Threads)}");
        foreach (var line in c.Candidate.SessionOptions?.Lines() ?? []) text.AppendLine($"- options in effect, {line}");
        text.AppendLine($"- data: {c.Candidate.Data}; machine: {c.Candidate.Machine}; date: {c.Candidate.Date:u}");
        if (c.Candidate.Interrupted)
            text.AppendLine().AppendLine(c.Candidate.InterruptedDuring is { } step
                ? $"**Interrupted** during the {step} run: the side-by-side figures below are whole; the {step} figures are missing."
                : "**Interrupted**: only the batch sizes below were timed side by side.");
        text.AppendLine("- both models timed side by side in one run, in alternating turns (each turn: settling runs, then a block of timed runs of one model); " +
                        "the speed-up is baseline p50 / candidate p50, with a 95 % bootstrap interval over the paired runs").AppendLine();
        Table(c).AppendTo(text);
        text.AppendLine($"![both models]({PlotFileName})").AppendLine();
        if (c.Profile is { } profile) text.Append(ProfileReportWriter.Markdown(profile));
        return text.ToString();
    }
}
