using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Compares the bench timing loop with two bare ONNX Runtime loops timed as a whole: <c>session.Run</c> on the same
/// pre-made values, and <c>RunWithBinding</c> on the same binding without per-run clocks. Rounds alternate so that
/// drift of the machine hits all three alike; each figure is the median over rounds of the mean time per run.
/// </summary>
public static class OverheadCheck
{
    public static TimingOverhead Measure(BoundSession session, int runsPerLoop, int rounds, CancellationToken cancel)
    {
        var bare = new double[rounds];
        var bareBinding = new double[rounds];
        var timed = new double[rounds];
        var latencies = new double[runsPerLoop];
        Action run = session.Run;
        for (var r = 0; r < rounds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < runsPerLoop; i++) session.RunBare();
            bare[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / runsPerLoop;

            start = Stopwatch.GetTimestamp();
            for (var i = 0; i < runsPerLoop; i++) session.Run();
            bareBinding[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / runsPerLoop;

            start = Stopwatch.GetTimestamp();
            TimingLoop.Measure(run, latencies, runsPerLoop, null, null, cancel);
            timed[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / runsPerLoop;
        }
        return new TimingOverhead(runsPerLoop, rounds, Median(bare), Median(bareBinding), Median(timed));
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return LatencyStats.Percentile(sorted, 50);
    }
}
