using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Compares the bench timing loop with two bare ONNX Runtime loops timed as a whole: <c>session.Run</c> on the same
/// pre-made values, and <c>RunWithBinding</c> on the same binding without per-run clocks. Rounds alternate the order
/// of the three loops so that drift of the machine hits all alike; each figure is the median over rounds of the mean
/// time per run.
/// </summary>
public static class OverheadCheck
{
    public static TimingOverhead Measure(BoundSession session, int runsPerLoop, int rounds, CancellationToken cancel)
    {
        var times = new double[3][];
        for (var k = 0; k < 3; k++) times[k] = new double[rounds];
        var latencies = new double[runsPerLoop];
        Action run = session.Run;
        Action[] loops =
        [
            () => { for (var i = 0; i < runsPerLoop; i++) session.RunBare(); },
            () => { for (var i = 0; i < runsPerLoop; i++) session.Run(); },
            () => TimingLoop.Measure(run, latencies, runsPerLoop, null, null, cancel),
        ];
        for (var r = 0; r < rounds; r++)
        {
            cancel.ThrowIfCancellationRequested();
            for (var j = 0; j < 3; j++)
            {
                var k = r % 2 == 0 ? j : 2 - j;
                var start = Stopwatch.GetTimestamp();
                loops[k]();
                times[k][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / runsPerLoop;
            }
        }
        return new TimingOverhead(runsPerLoop, rounds, Median(times[0]), Median(times[1]), Median(times[2]));
    }

    private static double Median(double[] values) => LatencyStats.Percentile(values.Order().ToArray(), 50);
}
