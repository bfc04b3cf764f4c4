using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>The shared real models go through the builder: their facts come from the IR, and trtexec accepts the flags.</summary>
public sealed class SharedModelTests
{
    public static TheoryData<string> Models() => new(TestPaths.SharedModelFiles().Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Models))]
    public async Task A_real_model_builds(string fileName)
    {
        using var dir = TestPaths.NewTempDir();
        var path = TestPaths.SharedModel(fileName);
        var facts = ModelFactsReader.FromModel(ModelReader.Read(path));
        var request = new EngineBuildRequest(FakeTrtexec.Wrapper(dir.File("bin"), "10.13.0.35"), path, facts, dir.File("out"),
            new BuildSettings { SkipInference = true }) { CacheRoot = dir.File("cache") };

        var result = await EngineBuilder.BuildAsync(request, CancellationToken.None);

        Assert.True(result.Log.Passed);
        Assert.True(result.Layers!.Total > 0);
        // Every dynamic input got an explicit profile, so trtexec had nothing to guess.
        Assert.Equal(facts.HasDynamicInputs, result.Flags.Any(f => f.StartsWith("--optShapes=")));
        Assert.DoesNotContain(result.Log.Warnings, w => w.StartsWith("Dynamic dimensions required"));
    }
}
