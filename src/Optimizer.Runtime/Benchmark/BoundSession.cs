using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// A session with its inputs and outputs bound once (an <see cref="OrtIoBinding"/> over pinned host buffers), so
/// that <see cref="Run"/> allocates nothing: the timing loop measures ONNX Runtime, not the garbage collector.
/// </summary>
public sealed class BoundSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly List<OrtValue> _values = [];
    private readonly List<HostTensor> _buffers = [];

    /// <summary>Binds <paramref name="inputs"/>; output buffers are sized from one run (which is the first, cold run).</summary>
    public BoundSession(InferenceSession session, IReadOnlyDictionary<string, HostTensor> inputs, out TimeSpan firstRun)
    {
        _session = session;
        InputNames = session.InputNames.ToArray();
        OutputNames = session.OutputNames.ToArray();
        if (OutputNames.Length == 0)
        {
            _runOptions.Dispose();
            throw new InvalidInputException("the model has no outputs, so running it computes nothing");
        }
        _binding = session.CreateIoBinding();
        try
        {
            foreach (var name in InputNames)
            {
                var value = Keep(inputs[name]);
                InputValues.Add(value);
                _binding.BindInput(name, value);
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var outputs = session.Run(_runOptions, InputNames, InputValues, OutputNames);
            firstRun = clock.Elapsed;
            for (var i = 0; i < OutputNames.Length; i++)
            {
                var value = Keep(HostTensor.FromOrtValue(outputs[i]));
                OutputValues.Add(value);
                _binding.BindOutput(OutputNames[i], value);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string[] InputNames { get; }
    public string[] OutputNames { get; }
    internal List<OrtValue> InputValues { get; } = [];
    internal List<OrtValue> OutputValues { get; } = [];

    /// <summary>One run on the bound inputs into the bound outputs.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>A plain <c>InferenceSession.Run</c> on the same pre-made values: the baseline the timing loop is compared with.</summary>
    public void RunBare() => _session.Run(_runOptions, InputNames, InputValues, OutputNames, OutputValues);

    private OrtValue Keep(HostTensor tensor)
    {
        _buffers.Add(tensor);
        var value = tensor.ToOrtValue();
        _values.Add(value);
        return value;
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _runOptions.Dispose();
    }
}
