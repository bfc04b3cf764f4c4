using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// ONNX's backend test suite through the default pipeline: every model ONNX Runtime can run gives the same outputs
/// (relative error under 1e-4) on its test_data_set_0 after the passes as before. Every model must be compared
/// except the ones listed in <see cref="Excluded"/> with their reason (random ops, kernels ONNX Runtime lacks, ...);
/// an unlisted model that fails, or a listed one that passes, fails the test.
/// </summary>
public sealed class BackendSuiteTests(ITestOutputHelper output)
{
    /// <summary>Every backend-suite model not compared before and after the passes, with the reason.</summary>
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .AddOnnxRuntimeGaps()
        .AddTestKitGaps();

    [Fact]
    public void DefaultPipelineKeepsEveryRunnableModelsOutputs()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 500, $"expected the backend suite under {TestPaths.OnnxBackendData}");
        int changed = 0;
        var failed = new Dictionary<string, string>();
        var compared = new List<string>();
        foreach (var (name, model, inputs, expected) in BackendCases.Load(models, failed, "before the passes"))
        {
            var nodes = Pipelines.NodeCount(model);
            try
            {
                Pipelines.RunDefault(model);
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                string? difference = null;
                foreach (var (outputName, e) in expected)
                {
                    var error = OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles());
                    if (!(error <= 1e-4) || !e.Dims.SequenceEqual(actual[outputName].Dims)) difference ??= $"{outputName}: relative error {error:E2}";
                }
                if (difference is null) compared.Add(name); else failed[name] = "after the passes: " + difference;
                if (Pipelines.NodeCount(model) != nodes) changed++;
            }
            catch (Exception e)
            {
                failed[name] = $"after the passes: {e.GetType().Name}: {BackendCases.FirstLine(e.Message)}";
            }
        }
        output.WriteLine($"{models.Count} models: {compared.Count} keep their outputs ({changed} changed by the passes), {failed.Count} not compared or differ ({Excluded.Count} listed)");
        Assert.True(compared.Count > 800, $"only {compared.Count} models were compared");
        Excluded.Check(failed, compared, output.WriteLine);
    }
}
