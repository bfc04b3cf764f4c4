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
                var tensor = HostTensor.FromOrtValue(outputs[i]);
                var declared = session.OutputMetadata[OutputNames[i]].Dimensions;
                if (!Fits(declared, tensor.Shape))
                {
                    UndeclaredOutputShapes = $"output '{OutputNames[i]}' is {tensor.ShapeText}, declared [{string.Join(",", declared.Select(d => d > 0 ? d.ToString() : "?"))}]";
                    // ONNX Runtime refuses a buffer whose shape contradicts the model's declared output shape (an exporter's
                    // wrong output type, say [1, seqlen] for a rank-3 result) although it runs the model, and a binding
                    // hands it the previous run's outputs as such buffers: such a model runs unbound, its outputs allocated each run
                    break;
                }
                var value = Keep(tensor);
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

    /// <summary>The first output whose real shape contradicts its declared one, described (null when all agree): the session then runs unbound.</summary>
    public string? UndeclaredOutputShapes { get; private set; }
    public string[] OutputNames { get; }
    internal List<OrtValue> InputValues { get; } = [];
    internal List<OrtValue> OutputValues { get; } = [];

    /// <summary>One run on the bound inputs into the bound outputs (or, for a model whose outputs contradict their declared shapes, outputs it allocates).</summary>
    public void Run()
    {
        if (UndeclaredOutputShapes is null) _session.RunWithBinding(_runOptions, _binding);
        else RunBare();
    }

    /// <summary>A plain <c>InferenceSession.Run</c> on the same pre-made values: the baseline the timing loop is compared with.</summary>
    public void RunBare()
    {
        if (UndeclaredOutputShapes is null)
        {
            _session.Run(_runOptions, InputNames, InputValues, OutputNames, OutputValues);
            return;
        }
        using var outputs = _session.Run(_runOptions, InputNames, InputValues, OutputNames);
    }

    /// <summary>Whether an output of <paramref name="shape"/> agrees with the declared dims (-1 or 0: any size; an unknown rank is an empty array).</summary>
    internal static bool Fits(IReadOnlyList<int> declared, IReadOnlyList<long> shape) =>
        declared.Count == shape.Count && declared.Zip(shape).All(p => p.First <= 0 || p.First == p.Second);

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
