using System.Diagnostics;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// Runs samples on several threads at once and hands each result on in sample order: a worker whose result is ready
/// waits for the one before to be consumed. Whatever the consumer accumulates is exactly what a sample-by-sample loop
/// would have (calibration's statistics, a comparison's sums), while one worker consumes the others run. With an
/// ONNX Runtime session of one intra-op thread called from every worker (<see cref="SessionWorkers"/>), small runs use
/// the cores better than ONNX Runtime splitting each run between threads: no operator waits for its slowest thread,
/// and the consuming, which no operator of the model does, has a core whenever a run ends.
/// </summary>
public sealed class OrderedSampleRuns<T>
{
    private readonly int _workers;
    private readonly Func<Sample, T> _run;
    private readonly Func<int, Sample, T, bool> _consume;
    private readonly object _readGate = new();
    private readonly object _consumeGate = new();
    private int _taken;
    private int _consumed;
    private bool _stopped;
    /// <summary>Workers waiting for the reader now; while all are, the runs are stalled for data.</summary>
    private int _waiting;
    private readonly Stopwatch _stalled = new();
    private (int Index, Exception Error)? _failure;
    private volatile bool _failed;

    /// <param name="run">Runs one sample (on any worker's thread at once with others).</param>
    /// <param name="consume">Takes sample i's result, one at a time, in sample order; false stops the runs there.</param>
    public OrderedSampleRuns(int workers, Func<Sample, T> run, Func<int, Sample, T, bool> consume)
    {
        _workers = Math.Max(1, workers);
        _run = run;
        _consume = consume;
    }

    /// <summary>
    /// Runs samples until the reader ends, <paramref name="limit"/> or a consumer's stop; returns how many were
    /// consumed. <paramref name="consumed"/>(n) follows each. A failure (a sample's, the reader's, a cancellation) is
    /// thrown after the workers stop: the earliest sample's, as a sample-by-sample loop would meet it first, and no
    /// later sample is consumed. Results not consumed are disposed when disposable. <paramref name="dataWait"/> is the
    /// time every worker was waiting for the reader (decoding images, say).
    /// </summary>
    public int Run(IEnumerator<Sample> reader, int? limit, Action<int>? consumed, CancellationToken cancel, out TimeSpan dataWait)
    {
        var threads = Enumerable.Range(0, _workers).Select(_ => new Thread(() => Work(reader, limit, consumed, cancel)) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        dataWait = _stalled.Elapsed;
        if (_failure is { Error: var error }) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return _consumed;
    }

    private void Work(IEnumerator<Sample> reader, int? limit, Action<int>? consumed, CancellationToken cancel)
    {
        while (Take(reader, limit, cancel) is var (index, sample))
        {
            var result = default(T);
            var handed = false;
            try
            {
                result = _run(sample);
                lock (_consumeGate)
                {
                    while (_consumed != index && !Failed && !_stopped) Monitor.Wait(_consumeGate);
                    if (Failed || _stopped) return;
                }
                // nothing is consumed once cancelled: a sample-by-sample loop would have stopped before it
                cancel.ThrowIfCancellationRequested();
                handed = true;
                var more = _consume(index, sample, result);
                lock (_consumeGate)
                {
                    _consumed++;
                    if (!more) _stopped = true;
                    consumed?.Invoke(_consumed);
                    Monitor.PulseAll(_consumeGate);
                }
            }
            catch (Exception e)
            {
                Fail(index, e);
                return;
            }
            finally
            {
                if (!handed && result is IDisposable disposable) disposable.Dispose();
            }
        }
    }

    /// <summary>The next sample and its index, read under the reader's lock; null at the end, the limit, a stop or a failure.</summary>
    private (int Index, Sample Sample)? Take(IEnumerator<Sample> reader, int? limit, CancellationToken cancel)
    {
        Waiting(+1);
        try
        {
            lock (_readGate)
            {
                if (Failed || Volatile.Read(ref _stopped) || (limit is { } max && _taken >= max)) return null;
                try
                {
                    cancel.ThrowIfCancellationRequested();
                    if (!reader.MoveNext()) return null;
                }
                catch (Exception e)
                {
                    Fail(_taken, e);
                    return null;
                }
                return (_taken++, reader.Current);
            }
        }
        finally
        {
            Waiting(-1);
        }
    }

    /// <summary>Counts the workers waiting for data; the clock runs while all of them are.</summary>
    private void Waiting(int change)
    {
        lock (_stalled)
        {
            _waiting += change;
            if (_waiting == _workers) _stalled.Start();
            else _stalled.Stop();
        }
    }

    private bool Failed => _failed;

    /// <summary>Keeps the failure of the earliest sample (the one a sample-by-sample loop would have met first).</summary>
    private void Fail(int index, Exception error)
    {
        lock (_consumeGate)
        {
            if (_failure is not { } f || index < f.Index) _failure = (index, error);
            _failed = true;
            Monitor.PulseAll(_consumeGate);
        }
    }
}

/// <summary>How many samples run at once, and the session each worker calls.</summary>
public static class SessionWorkers
{
    /// <summary>Beyond this many threads, one sample at a time on all of them (each worker holds a sample's activations).</summary>
    public const int MostWorkers = 4;

    /// <summary>What the samples in flight may return together before one runs at a time instead (256 MiB).</summary>
    public const long InFlightBytes = 256L << 20;

    /// <summary>
    /// <paramref name="asked"/> when given; else, on the CPU, one per thread of the session (the machine's when ONNX
    /// Runtime chooses) up to <see cref="MostWorkers"/>; otherwise (other providers, more threads) one.
    /// </summary>
    public static int For(SessionSettings session, int? asked = null)
    {
        if (session.Provider != ExecutionProvider.Cpu) return 1;
        if (asked is { } n) return Math.Max(1, n);
        var threads = session.Threads > 0 ? session.Threads : Environment.ProcessorCount;
        return threads <= MostWorkers ? Math.Max(1, threads) : 1;
    }

    /// <summary>
    /// The workers to keep when each sample in flight holds <paramref name="bytesPerSample"/>: all of them while they fit
    /// <paramref name="budget"/> together, else one (also when the size is unknown).
    /// </summary>
    public static int Within(int workers, long? bytesPerSample, long budget) =>
        bytesPerSample is { } bytes && bytes <= budget / Math.Max(1, workers) ? workers : 1;

    /// <summary>The session every worker calls: one intra-op thread (no pool: each worker's own thread runs it) when several.</summary>
    public static SessionSettings Session(SessionSettings session, int workers) => workers > 1 ? session with { Threads = 1 } : session;
}
