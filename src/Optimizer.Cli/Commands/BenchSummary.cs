using System.Globalization;
using Optimizer.Runtime.Benchmark;

namespace Optimizer.Cli.Commands;

/// <summary>The human-readable summary of a benchmark on stdout: one line per batch size.</summary>
public static class BenchSummary
{
    public static void Print(BenchReport report, TextWriter output)
    {
        output.WriteLine($"{Path.GetFileName(report.Model)} on {report.Runtime} ({report.Provider}), data: {report.Data}");
        output.WriteLine("batch  session ms  first ms     p50 ms     p95 ms     p99 ms    mean ms   samples/s  peak MiB");
        foreach (var b in report.Batches)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{b.BatchSize,5} {Or(b.ColdStart.SessionCreationMs, "0.0"),11} {Or(b.ColdStart.FirstRunMs, "0.0"),9} {b.LatencyMs.P50,10:0.000} {b.LatencyMs.P95,10:0.000} {b.LatencyMs.P99,10:0.000} {b.LatencyMs.Mean,10:0.000} {b.ThroughputPerSecond,11:0.0} {Or(b.PeakMemoryBytes / 1048576.0, "0"),9}"));
        // A figure the runtime does not give (trtexec: first run, peak memory) is a dash, not a measured 0.
        static string Or(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
        if (report.Concurrency is { Count: > 0 } levels)
        {
            output.WriteLine($"concurrency (batch {report.Batches[0].BatchSize}, requests in flight on one session):");
            output.WriteLine("level  requests     p50 ms     p95 ms     p99 ms   samples/s");
            foreach (var c in levels)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Level,5} {c.Requests,9} {c.LatencyMs.P50,10:0.000} {c.LatencyMs.P95,10:0.000} {c.LatencyMs.P99,10:0.000} {c.ThroughputPerSecond,11:0.0}"));
            if (report.ConcurrencyNote is { } note) output.WriteLine(note);
        }
        if (report.Search is { } search)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch for p95 <= {search.MaxP95Ms:0.###} ms: {(search.Chosen is { } c ? c.ToString(CultureInfo.InvariantCulture) : "none")} ({search.Reason})"));
        if (report.Overhead is { } o)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"timing-loop overhead: bare ORT Run loop {o.BareRunMs:0.0000} ms/run, bare RunWithBinding loop {o.BareBindingRunMs:0.0000} ms/run, bench loop {o.TimingLoopMs:0.0000} ms/run: {o.OverheadPercent:+0.00;-0.00} % vs Run, {o.TimingCostPercent:+0.00;-0.00} % vs RunWithBinding"));
    }

    /// <summary>bench --baseline: one line per batch size with both models and the speed-up with its interval.</summary>
    public static void Print(BenchComparison c, TextWriter output)
    {
        output.WriteLine($"{Path.GetFileName(c.Candidate.Model)} against {c.Baseline.Model}, timed side by side on {c.Candidate.Runtime} ({c.Candidate.Provider}), data: {c.Candidate.Data}");
        output.WriteLine("batch   runs  baseline p50  candidate p50  baseline/s  candidate/s  speed-up (95 % interval)");
        for (var i = 0; i < c.Speedups.Count; i++)
        {
            var (a, b, s) = (c.Baseline.Batches[i], c.Candidate.Batches[i], c.Speedups[i]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.BatchSize,5} {a.Runs,6} {a.LatencyMs.P50,13:0.000} {b.LatencyMs.P50,14:0.000} {a.ThroughputPerSecond,11:0.0} {b.ThroughputPerSecond,12:0.0}  {s.Latency.Ratio:0.00}x ({s.Latency.Low:0.00}-{s.Latency.High:0.00})"));
        }
    }
}
