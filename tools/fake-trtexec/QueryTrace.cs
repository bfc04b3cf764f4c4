namespace FakeTrtexec;

/// <summary>The timestamps of one inference query, in ms since inference started (sampleReporting.cpp InferenceTrace).</summary>
internal sealed record QueryTrace(double StartEnq, double EndEnq, double StartH2d, double EndH2d,
    double StartCompute, double EndCompute, double StartD2h, double EndD2h)
{
    public double H2d => EndH2d - StartH2d;
    public double Compute => EndCompute - StartCompute;
    public double D2h => EndD2h - StartD2h;
    public double Enqueue => EndEnq - StartEnq;
    /// <summary>Latency = H2D + compute + D2H.</summary>
    public double Latency => H2d + Compute + D2h;
}

/// <summary>
/// Simulates the inference loop without waiting: queries run back to back on a simulated clock. Warm-up queries
/// (the first --warmUp ms) are dropped; the loop continues while <c>i &lt; iterations || elapsed &lt; duration*1000+warmup</c>.
/// </summary>
internal static class InferenceLoop
{
    public static (int WarmupQueries, List<QueryTrace> Timed) Run(FakePlan plan, FakeOptions options)
    {
        var random = new Random(unchecked((int)plan.Seed));
        var h2d = options.DataTransfers ? plan.H2dMs : 0;
        var d2h = options.DataTransfers ? plan.D2hMs : 0;
        var (clock, warmup, timed) = (0.0, 0, new List<QueryTrace>());
        var end = options.DurationSeconds * 1000 + options.WarmUpMs;
        while (clock < options.WarmUpMs || timed.Count < options.Iterations || clock < end)
        {
            var jitter = 1 + (random.NextDouble() - 0.5) * 0.06; // ±3 %
            var compute = plan.ComputeMs * jitter;
            var enqueue = 0.004 + 0.0004 * plan.Layers * jitter;
            var trace = new QueryTrace(clock, clock + enqueue, clock + 0.002, clock + 0.002 + h2d,
                clock + 0.002 + h2d, clock + 0.002 + h2d + compute, clock + 0.002 + h2d + compute, clock + 0.002 + h2d + compute + d2h);
            if (clock < options.WarmUpMs) warmup++;
            else timed.Add(trace);
            clock = trace.EndD2h + 0.001;
        }
        return (warmup, timed);
    }
}
