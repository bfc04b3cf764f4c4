using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// ONNX's backend test suite through the default pipeline: every model ONNX Runtime can run gives the same outputs
/// (relative error under 1e-4) on its test_data_set_0 after the passes as before. Random ops are left out (a fresh
/// draw per run); models ONNX Runtime itself rejects are counted and skipped.
/// </summary>
public sealed class BackendSuiteTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> RandomOps = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"];

    [Fact]
    public void DefaultPipelineKeepsEveryRunnableModelsOutputs()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 500, $"expected the backend suite under {TestPaths.OnnxBackendData}");
        int compared = 0, changed = 0, rejected = 0, random = 0;
        var failures = new List<string>();
        foreach (var path in models)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            Dictionary<string, TestTensor> expected;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                if (inputs is null || model.Graph.AllNodes().Any(n => RandomOps.Contains(n.OpType) && n.OpType != "Dropout" || IsTrainingDropout(n)))
                {
                    random++;
                    continue;
                }
                expected = OrtRunner.Run(File.ReadAllBytes(path), inputs);
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException or Onnx.Errors.OptimizerException or OverflowException)
            {
                rejected++;
                continue;
            }
            var nodes = Pipelines.NodeCount(model);
            try
            {
                Pipelines.RunDefault(model);
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                foreach (var (outputName, e) in expected)
                {
                    var error = OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles());
                    if (!(error <= 1e-4) || !e.Dims.SequenceEqual(actual[outputName].Dims)) failures.Add($"{name}/{outputName}: relative error {error:E2}");
                }
                compared++;
                if (Pipelines.NodeCount(model) != nodes) changed++;
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
        }
        output.WriteLine($"{models.Count} models: {compared} compared ({changed} changed by the passes), {rejected} not runnable in ONNX Runtime, {random} random or without data; {failures.Count} failures");
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(compared > 800, $"only {compared} models were compared");
        Assert.Empty(failures);
    }

    private static bool IsTrainingDropout(Node n) => n.OpType == "Dropout" && n.Input(2) is not null;
}
