using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Support;

/// <summary>A temp folder with a model, a trtexec wrapper of one version, an output folder and a cache folder.</summary>
public sealed class BuildHarness : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public BuildHarness(string version, string kind = "fp32", string? fault = null)
    {
        Trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), version, fault);
        ModelPath = _dir.File("model.onnx");
        Facts = TestModels.Write(kind, ModelPath);
    }

    public string Trtexec { get; }
    public string ModelPath { get; }
    public ModelFacts Facts { get; }
    public string Root => _dir.Path;
    public string Out => _dir.File("out");
    public string Cache => _dir.File("cache");

    /// <summary>A short inference loop keeps the double's exported trace small.</summary>
    public static BuildSettings QuickSettings => new() { DurationSeconds = 0.05, WarmUpMs = 20 };

    public EngineBuildRequest Request(BuildSettings? settings = null, string? outDir = null) =>
        new(Trtexec, ModelPath, Facts, outDir ?? Out, settings ?? QuickSettings) { CacheRoot = Cache, Timeout = TimeSpan.FromMinutes(1) };

    public Task<EngineBuildResult> BuildAsync(BuildSettings? settings = null) =>
        EngineBuilder.BuildAsync(Request(settings), CancellationToken.None);

    public void Dispose() => _dir.Dispose();
}
