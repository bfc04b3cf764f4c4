using System.Diagnostics;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Calibration's run loop on the CPU with several cores: one ONNX Runtime session of one intra-op thread that
/// <see cref="Workers"/> threads call at once, each running its own sample and then folding it. Folds happen in sample
/// order (a worker whose sample is ready waits for the fold of the one before), so the statistics are exactly those
/// of a sample-by-sample loop; while one worker folds, the others run. For calibration's many small runs this uses
/// the cores better than ONNX Runtime splitting each run between threads: no operator waits for its slowest thread,
/// and the folding, which no operator of the model does, has a core whenever a run ends.
/// </summary>
internal sealed class ParallelCollection(ObservingSession session, int workers)
{
    public int Workers { get; } = workers;

    private readonly object _readGate = new();
    private readonly object _foldGate = new();
    private int _taken;
    private int _folded;
    /// <summary>Workers waiting for the reader now; while all are, the runs are stalled for data.</summary>
    private int _waiting;
    private readonly Stopwatch _stalled = new();
    private (int Index, Exception Error)? _failure;
    private volatile bool _failed;

    /// <summary>Runs and folds samples until the reader ends or <paramref name="limit"/>; returns the count folded.</summary>
    public int Run(IEnumerator<Sample> reader, int? limit, Action<int>? folded, CancellationToken cancel, out TimeSpan dataWait)
    {
        var threads = Enumerable.Range(0, Workers).Select(_ => new Thread(() => Work(reader, limit, folded, cancel)) { IsBackground = true }).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        dataWait = _stalled.Elapsed;
        if (_failure is { Error: var error }) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return _folded;
    }

    private void Work(IEnumerator<Sample> reader, int? limit, Action<int>? folded, CancellationToken cancel)
    {
        while (Take(reader, limit, cancel) is var (index, sample))
        {
            IDisposable? outputs = null;
            try
            {
                var run = session.Run(sample);
                outputs = run;
                lock (_foldGate)
                {
                    while (_folded != index && !Failed) Monitor.Wait(_foldGate);
                    if (Failed) return;
                }
                // nothing is folded once cancelled: a sample-by-sample loop would have stopped before it
                cancel.ThrowIfCancellationRequested();
                session.FoldHere(sample, run);
                lock (_foldGate)
                {
                    _folded++;
                    folded?.Invoke(_folded);
                    Monitor.PulseAll(_foldGate);
                }
            }
            catch (Exception e)
            {
                Fail(index, e);
                return;
            }
            finally
            {
                outputs?.Dispose();
            }
        }
    }

    /// <summary>The next sample and its index, read under the reader's lock; null at the end, the limit or a failure.</summary>
    private (int Index, Sample Sample)? Take(IEnumerator<Sample> reader, int? limit, CancellationToken cancel)
    {
        Waiting(+1);
        try
        {
            lock (_readGate)
            {
                if (Failed || (limit is { } max && _taken >= max)) return null;
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
            if (_waiting == Workers) _stalled.Start();
            else _stalled.Stop();
        }
    }

    private bool Failed => _failed;

    /// <summary>Keeps the failure of the earliest sample (the one a sample-by-sample loop would have met first).</summary>
    private void Fail(int index, Exception error)
    {
        lock (_foldGate)
        {
            if (_failure is not { } f || index < f.Index) _failure = (index, error);
            _failed = true;
            Monitor.PulseAll(_foldGate);
        }
    }
}
