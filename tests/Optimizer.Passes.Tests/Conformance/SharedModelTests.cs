using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// Every model in ../shared/models through the default pipeline: the result runs in ONNX Runtime (optimizations
/// off), reproduces the reference outputs in ref/ and matches the input model, within 1e-4 relative error (FP32).
/// </summary>
public sealed class SharedModelTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Models => new(TestPaths.SharedModelFiles().Select(Path.GetFileNameWithoutExtension)!);

    [Theory]
    [MemberData(nameof(Models))]
    public void DefaultPipelineReproducesTheReferenceOutputs(string stem) => Check(stem, new PassOptions());

    /// <summary>Upgraded to opset 20 (LayerNormalization and Gelu fusions enabled), the models still reproduce their references.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void UpgradedToOpset20TheyStillReproduceTheReferenceOutputs(string stem) => Check(stem, new PassOptions { TargetOpset = 20 });

    private void Check(string stem, PassOptions options)
    {
        var path = TestPaths.SharedModel(stem + ".onnx");
        var model = ModelReader.Read(path);
        var before = Pipelines.NodeCount(model);
        Pipelines.RunDefault(model, options);
        var optimized = ModelWriter.ToBytes(model);
        var cases = new List<ReferenceData.Case> { ReferenceData.SharedModelCase(stem) };
        var folder = ReferenceData.Folder(stem);
        if (File.Exists(Path.Combine(folder, "x_rot180.npy")))
            cases.Add(new ReferenceData.Case(
                new() { ["x"] = ReferenceData.Npy(Path.Combine(folder, "x_rot180.npy")) },
                new() { [cases[0].Outputs.Keys.Single()] = ReferenceData.Npy(Path.Combine(folder, "output_rot180.npy")) }));
        foreach (var c in cases)
        {
            var original = OrtRunner.Run(File.ReadAllBytes(path), c.Inputs);
            var actual = OrtRunner.Run(optimized, c.Inputs);
            foreach (var (name, expected) in c.Outputs)
            {
                var vsReference = OrtRunner.RelativeError(expected.AsDoubles(), actual[name].AsDoubles());
                var vsInput = OrtRunner.RelativeError(original[name].AsDoubles(), actual[name].AsDoubles());
                output.WriteLine($"{stem}/{name} (opset {model.GetOpset()}): {before} -> {Pipelines.NodeCount(model)} nodes; error vs ref {vsReference:E2}, vs input model {vsInput:E2}");
                Assert.InRange(vsReference, 0, Tolerance);
                Assert.InRange(vsInput, 0, Tolerance);
            }
        }
    }
}
