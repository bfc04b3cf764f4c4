using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// One ONNX Runtime session over an <see cref="ObservedModel"/>: runs a sample and folds every observed tensor into
/// its <see cref="TensorStatistics"/> straight from ONNX Runtime's output buffers (no copy).
/// </summary>
internal sealed class ObservingSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly TensorStatistics[] _outputStats;
    private readonly (string Name, TensorStatistics Stats)[] _inputStats;

    public ObservingSession(ObservedModel model, IReadOnlyDictionary<string, TensorStatistics> stats, SessionSettings settings)
    {
        _session = SessionFactory.Create(model.Bytes, "calibration model", settings);
        try
        {
            model.CheckTypes(_session);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        _inputNames = _session.InputNames.ToArray();
        _outputNames = model.Outputs.ToArray();
        _outputStats = _outputNames.Select(n => stats[n]).ToArray();
        _inputStats = model.Inputs.Select(n => (n, stats[n])).ToArray();
    }

    /// <summary>
    /// Runs the model on <paramref name="sample"/>; the caller owns the observed outputs returned (in the order of
    /// <see cref="ObservedModel.Outputs"/>) and hands them with the sample to <see cref="Fold"/>, possibly on another
    /// thread while the next sample runs.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(Sample sample)
    {
        foreach (var (name, _) in _inputStats) FloatInput(sample, name);
        // nothing is run when every observed tensor is a graph input (a model whose quantized nodes all read inputs)
        return SampleRuns.Once(_session, _runOptions, _inputNames, _outputNames, sample);
    }

    /// <summary>
    /// Folds the observed inputs of <paramref name="sample"/> and the <paramref name="outputs"/> of its run into their
    /// statistics. Each statistics object is touched by one thread at a time: folds of two samples must not overlap.
    /// With <paramref name="parallel"/>, large outputs are folded one tensor per task; without, all on this thread
    /// (for a caller that keeps the other cores busy).
    /// </summary>
    public void Fold(Sample sample, IReadOnlyList<OrtValue> outputs, bool parallel)
    {
        foreach (var (name, stats) in _inputStats)
            stats.Add(FindInput(sample, name).AsSpan<float>());
        long elements = 0;
        if (parallel)
            for (var i = 0; i < outputs.Count; i++) elements += outputs[i].GetTensorTypeAndShape().ElementCount;
        if (elements < ParallelAbove || _outputStats.Length == 1)
            for (var i = 0; i < _outputStats.Length; i++) _outputStats[i].Add(outputs[i].GetTensorDataAsSpan<float>());
        else
            Parallel.For(0, _outputStats.Length, i => _outputStats[i].Add(outputs[i].GetTensorDataAsSpan<float>()));
    }

    /// <summary>Below this many observed elements per sample a parallel fold costs more than it saves.</summary>
    private const long ParallelAbove = 1 << 18;

    private static HostTensor FindInput(Sample sample, string name) =>
        sample.Inputs.TryGetValue(name, out var tensor) ? tensor
            : throw new InvalidInputException($"{sample.Source}: the sample has no input '{name}'");

    private static HostTensor FloatInput(Sample sample, string name)
    {
        var tensor = FindInput(sample, name);
        return tensor.ElementType == TensorElementType.Float ? tensor
            : throw new InvalidInputException($"{sample.Source}: input '{name}' is {TensorTypes.Name(tensor.ElementType)}; calibration observes float tensors only");
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
