using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>
/// A session with ONNX Runtime's profiler on, its inputs bound, writing its trace into a private temporary folder.
/// <see cref="Finish"/> ends profiling and reads the trace; <see cref="Dispose"/> deletes the folder, so no profile
/// file outlives the session, whether it finished or failed.
/// </summary>
internal sealed class ProfilingSession : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("optimize-profile-").FullName;
    private readonly Microsoft.ML.OnnxRuntime.InferenceSession? _session;
    private readonly BoundSession? _bound;
    private readonly string _model;
    private readonly int _batch;

    public ProfilingSession(BenchOptions options, int batch, IReadOnlyDictionary<string, Data.HostTensor>? inputs = null)
    {
        (_model, _batch) = (options.ModelPath, batch);
        try
        {
            var settings = options.Session with { ProfilePrefix = Path.Combine(_folder, "ort_profile") };
            _session = Benchmarker.Guard(_model, batch, () => SessionFactory.Create(_model, settings, out _));
            inputs ??= BatchInputs.Make(options.Data, ModelSignature.Of(_session), batch);
            _bound = Benchmarker.Guard(_model, batch, () => Benchmarker.Bind(_model, _session, inputs, out _));
            Runs = 1; // binding ran the model once
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs made so far (each is a <c>model_run</c> in the trace).</summary>
    public int Runs { get; private set; }

    public void Run()
    {
        Benchmarker.Guard(_model, _batch, () => { _bound!.Run(); return 0; });
        Runs++;
    }

    /// <summary>Ends profiling; returns the trace and how many runs it holds.</summary>
    public string Finish() => File.ReadAllText(_session!.EndProfiling());

    public void Dispose()
    {
        _bound?.Dispose();
        _session?.Dispose();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
