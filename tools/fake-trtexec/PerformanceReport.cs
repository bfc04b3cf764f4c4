using System.Globalization;
using System.Text;

namespace FakeTrtexec;

/// <summary>
/// sampleReporting.cpp: the trace details, the performance summary (printEpilog) and --exportTimes. Medians are the
/// middle value or the mean of the two middle values; percentile(p) is the sorted value at
/// <c>max(N-1-int((1-p/100)*N),0)</c>; throughput is N / walltime; total GPU compute time is mean compute × N.
/// </summary>
internal static class PerformanceReport
{
    public static void Print(List<QueryTrace> timed, FakeOptions options, Log log)
    {
        log.Info("=== Trace details ===");
        for (var start = 0; start + options.AvgRuns <= timed.Count; start += options.AvgRuns)
        {
            var group = timed.GetRange(start, options.AvgRuns);
            log.Info($"Average on {options.AvgRuns} runs - GPU latency: {N(group.Average(q => q.Compute))} ms - Host latency: {N(group.Average(q => q.Latency))} ms (enqueue {N(group.Average(q => q.Enqueue))} ms)");
        }
        log.Blank();
        var walltime = timed[^1].EndD2h - timed[0].StartH2d;
        var compute = timed.Select(q => q.Compute).ToList();
        log.Info("=== Performance summary ===");
        log.Info($"Throughput: {N(timed.Count / walltime * 1000)} qps");
        log.Info("Latency: " + Stats(timed.Select(q => q.Latency), options.Percentiles));
        log.Info("Enqueue Time: " + Stats(timed.Select(q => q.Enqueue), options.Percentiles));
        log.Info("H2D Latency: " + Stats(timed.Select(q => q.H2d), options.Percentiles));
        log.Info("GPU Compute Time: " + Stats(compute, options.Percentiles));
        log.Info("D2H Latency: " + Stats(timed.Select(q => q.D2h), options.Percentiles));
        log.Info($"Total Host Walltime: {N(walltime / 1000)} s");
        log.Info($"Total GPU Compute Time: {N(compute.Average() * compute.Count / 1000)} s");
        var mean = compute.Average();
        var cov = Math.Sqrt(compute.Sum(c => (c - mean) * (c - mean)) / compute.Count) / mean * 100;
        if (cov > options.Version.UnstableCoefficientPercent)
            log.Warning($"* GPU compute time is unstable, with coefficient of variance = {N(cov)}%.");
        if (cov > options.Version.UnstableCoefficientPercent)
            log.Warning("  If not already in use, locking GPU clock frequency or adding --useSpinWait may improve the stability.");
        log.Info("Explanations of the performance metrics are printed in the verbose logs.");
        log.Blank();
    }

    public static string Stats(IEnumerable<double> values, IReadOnlyList<double> percentiles)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        var text = new StringBuilder($"min = {N(sorted[0])} ms, max = {N(sorted[^1])} ms, mean = {N(sorted.Average())} ms, median = {N(median)} ms");
        foreach (var p in percentiles)
            text.Append($", percentile({p.ToString(CultureInfo.InvariantCulture)}%) = {N(sorted[Math.Max(n - 1 - (int)((1 - p / 100) * n), 0)])} ms");
        return text.ToString();
    }

    /// <summary>exportJSONTrace: one object per timed query, numbers in the default ostream format.</summary>
    public static void ExportTimes(string path, List<QueryTrace> timed)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("[");
        var separator = "  ";
        foreach (var q in timed)
        {
            writer.WriteLine($"{separator}{{ \"startEnqMs\" : {N(q.StartEnq)}, \"endEnqMs\" : {N(q.EndEnq)}, \"startH2dMs\" : {N(q.StartH2d)}, \"endH2dMs\" : {N(q.EndH2d)}, \"startComputeMs\" : {N(q.StartCompute)}, \"endComputeMs\" : {N(q.EndCompute)}, \"startD2hMs\" : {N(q.StartD2h)}, \"endD2hMs\" : {N(q.EndD2h)}, \"h2dMs\" : {N(q.H2d)}, \"computeMs\" : {N(q.Compute)}, \"d2hMs\" : {N(q.D2h)}, \"latencyMs\" : {N(q.Latency)} }}");
            separator = ", ";
        }
        writer.WriteLine("]");
    }

    private static string N(double value) => CppNumber.Format(value);
}
