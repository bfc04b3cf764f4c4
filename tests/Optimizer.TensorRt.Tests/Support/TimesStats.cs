using System.Text.Json;
using Optimizer.TensorRt.Logs;

namespace Optimizer.TensorRt.Tests.Support;

/// <summary>
/// Recomputes the performance summary from an --exportTimes file with the formulas of TRTEXEC.md §2, independently of
/// the parser, so a test can check that the figures the builder read are the ones the run measured.
/// </summary>
public static class TimesStats
{
    public static (double Qps, LatencyStats Latency, LatencyStats Compute, int Queries) FromFile(string path, double[] percentiles)
    {
        var queries = JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToList();
        double Get(JsonElement q, string key) => q.GetProperty(key).GetDouble();
        var walltime = Get(queries[^1], "endD2hMs") - Get(queries[0], "startH2dMs");
        return (queries.Count / walltime * 1000,
            Stats(queries.Select(q => Get(q, "latencyMs")), percentiles),
            Stats(queries.Select(q => Get(q, "computeMs")), percentiles),
            queries.Count);
    }

    private static LatencyStats Stats(IEnumerable<double> values, double[] percentiles)
    {
        var s = values.Order().ToArray();
        var n = s.Length;
        var median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        return new LatencyStats(s[0], s[^1], s.Average(), median,
            percentiles.ToDictionary(p => p, p => s[Math.Max(n - 1 - (int)((1 - p / 100) * n), 0)]));
    }
}
