using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// Runs a model on samples one at a time and hands back host copies of its outputs with the time the run took.
/// For accuracy work; the benchmark uses <see cref="Benchmark.BoundSession"/> instead.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    public ModelRunner(string modelPath, SessionSettings settings)
        : this(SessionFactory.Create(modelPath, settings), modelPath)
    {
    }

    /// <summary>A runner for a model held in memory; <paramref name="displayName"/> stands in for the path in messages.</summary>
    public ModelRunner(byte[] model, string displayName, SessionSettings settings)
        : this(SessionFactory.Create(model, displayName, settings), displayName)
    {
    }

    private ModelRunner(InferenceSession session, string modelPath)
    {
        ModelPath = modelPath;
        _session = session;
        Signature = ModelSignature.Of(_session);
        _inputNames = _session.InputNames.ToArray();
        _outputNames = Signature.Outputs.Where(o => o.IsTensor).Select(o => o.Name).ToArray();
        if (_outputNames.Length == 0)
        {
            Dispose();
            throw new InvalidInputException($"{modelPath}: the model has no tensor outputs, so running it computes nothing to compare");
        }
    }

    /// <summary>The model's file, or the display name of a model given as bytes.</summary>
    public string ModelPath { get; }
    public ModelSignature Signature { get; }

    public (IReadOnlyDictionary<string, HostTensor> Outputs, double Milliseconds) Run(Sample sample)
    {
        SampleChecker.CheckInputsOf(sample, Signature, ModelPath);
        var values = new OrtValue[_inputNames.Length];
        try
        {
            for (var i = 0; i < values.Length; i++) values[i] = sample.Inputs[_inputNames[i]].ToOrtValue();
            var clock = Stopwatch.GetTimestamp();
            using var outputs = _session.Run(_runOptions, _inputNames, values, _outputNames);
            var ms = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
            var result = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
            for (var i = 0; i < _outputNames.Length; i++) result[_outputNames[i]] = HostTensor.FromOrtValue(outputs[i]);
            return (result, ms);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException($"{sample.Source}: {Path.GetFileName(ModelPath)} failed to run on this sample: {OrtMessages.Clean(e.Message)}", e);
        }
        catch (Exception e) when (e is NotSupportedException or OverflowException)
        {
            throw new InvalidInputException($"{Path.GetFileName(ModelPath)}: {e.Message}", e);
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
