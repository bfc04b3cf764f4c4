using System.Text.Json;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>Each model in ../shared/models/ref reproduces its stored FP32 outputs within 1e-4 from its stored inputs.</summary>
public sealed class ReferenceOutputTests
{
    public static TheoryData<string> RefModels() =>
        new(Directory.EnumerateDirectories(TestPaths.SharedModel("ref")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(RefModels))]
    public void ReproducesTheReferenceOutputs(string name)
    {
        var folder = TestPaths.SharedModel(Path.Combine("ref", name));
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "meta.json")));
        var model = TestPaths.SharedModel(meta.RootElement.GetProperty("model").GetString()!);
        var inputs = meta.RootElement.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => NpyFormat.Read(Path.Combine(folder, p.Value.GetString()!)));
        using var runner = new ModelRunner(model, SessionSettings.ForComparison);
        var sample = new Sample(name, folder, inputs);
        SampleChecker.Check(sample, runner.Signature);
        var (outputs, _) = runner.Run(sample);
        foreach (var expected in meta.RootElement.GetProperty("outputs").EnumerateObject())
        {
            var want = NpyFormat.Read(Path.Combine(folder, expected.Value.GetString()!));
            var got = outputs[expected.Name];
            Assert.Equal(want.Shape, got.Shape);
            var worst = 0.0;
            for (long i = 0; i < want.ElementCount; i++)
                worst = Math.Max(worst, Math.Abs(TensorTypes.ReadAsDouble(want.Bytes, want.ElementType, i) - TensorTypes.ReadAsDouble(got.Bytes, got.ElementType, i)));
            Assert.True(worst <= 1e-4, $"{name}/{expected.Name}: max abs error {worst}");
        }
    }
}
