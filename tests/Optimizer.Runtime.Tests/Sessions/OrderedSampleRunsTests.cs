using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>Samples run a few at a time, their results taken in sample order.</summary>
public sealed class OrderedSampleRunsTests
{
    private static List<Sample> Samples(int count) =>
        Enumerable.Range(0, count).Select(i => new Sample($"s{i}", $"s{i}", new Dictionary<string, HostTensor>())).ToList();

    private static int IndexOf(Sample s) => int.Parse(s.Id[1..]);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ResultsAreTakenInSampleOrderWhateverOrderTheyFinishIn(int workers)
    {
        var order = new List<int>();
        var running = 0;
        var mostAtOnce = 0;
        // the earlier the sample, the slower its run: with several workers later ones finish first
        var runs = new OrderedSampleRuns<int>(workers, s =>
        {
            var now = Interlocked.Increment(ref running);
            lock (order) mostAtOnce = Math.Max(mostAtOnce, now);
            Thread.Sleep(30 - 2 * IndexOf(s));
            Interlocked.Decrement(ref running);
            return IndexOf(s) * 10;
        }, (i, s, result) =>
        {
            Assert.Equal(i * 10, result);
            Assert.Equal(i, IndexOf(s));
            order.Add(i);
            return true;
        });
        var progress = new List<int>();
        using var reader = Samples(12).GetEnumerator();
        Assert.Equal(12, runs.Run(reader, null, progress.Add, default, out _));
        Assert.Equal(Enumerable.Range(0, 12), order);
        Assert.Equal(Enumerable.Range(1, 12), progress);
        Assert.InRange(mostAtOnce, 1, workers);
        if (workers > 1) Assert.True(mostAtOnce > 1, "several samples ran at once");
    }

    [Fact]
    public void AStopTakesNothingAfterItAndDisposesWhatRanAhead()
    {
        var disposed = 0;
        var taken = new List<int>();
        var runs = new OrderedSampleRuns<Result>(3, s => new Result(IndexOf(s), () => Interlocked.Increment(ref disposed)), (i, _, r) =>
        {
            taken.Add(r.Index);
            return i < 4;
        });
        using var reader = Samples(20).GetEnumerator();
        Assert.Equal(5, runs.Run(reader, null, null, default, out _));
        Assert.Equal([0, 1, 2, 3, 4], taken);
        // the runs ahead of the stop (at most one per other worker) were disposed, not taken
        Assert.InRange(disposed, 0, 2);
    }

    [Fact]
    public void TheLimitTheEarliestFailureAndCancellationAreHonoured()
    {
        using (var reader = Samples(10).GetEnumerator())
            Assert.Equal(4, new OrderedSampleRuns<int>(2, IndexOf, (_, _, _) => true).Run(reader, 4, null, default, out _));

        var taken = new List<int>();
        var failing = new OrderedSampleRuns<int>(3, s => IndexOf(s) is 3 or 6 ? throw new InvalidOperationException($"sample {IndexOf(s)}") : IndexOf(s),
            (_, _, r) => { taken.Add(r); return true; });
        using (var reader = Samples(10).GetEnumerator())
            Assert.Equal("sample 3", Assert.Throws<InvalidOperationException>(() => failing.Run(reader, null, null, default, out _)).Message);
        Assert.Equal([0, 1, 2], taken);

        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var cancelled = new OrderedSampleRuns<int>(2, IndexOf, (i, _, _) => { seen = i + 1; if (i == 1) cancel.Cancel(); return true; });
        using (var reader = Samples(10).GetEnumerator())
            Assert.ThrowsAny<OperationCanceledException>(() => cancelled.Run(reader, null, null, cancel.Token, out _));
        Assert.Equal(2, seen);
    }

    private sealed record Result(int Index, Action OnDispose) : IDisposable
    {
        public void Dispose() => OnDispose();
    }
}
