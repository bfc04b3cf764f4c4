using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// Every backend-suite model ONNX Runtime can run, upgraded alone (no other pass) to the highest opset the upgrade
/// supports: either the upgrade refuses with a reason, or the upgraded model gives the same outputs.
/// </summary>
public sealed class OpsetUpgradeSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public void UpgradedBackendModelsKeepTheirOutputsOrAreRefused()
    {
        int compared = 0, refused = 0, skipped = 0;
        var failures = new List<string>();
        var reasons = new Dictionary<string, int>();
        foreach (var path in TestPaths.BackendModels())
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            Dictionary<string, TestTensor> expected;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                if (inputs is null || Patterns.Opset(model) < OpsetAdapters.MinSource || model.Graph.AllNodes().Any(n => n.OpType.StartsWith("Random") || n.OpType is "Bernoulli" or "Multinomial" or "Dropout"))
                {
                    skipped++;
                    continue;
                }
                expected = OrtRunner.Run(File.ReadAllBytes(path), inputs);
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException or OptimizerException or OverflowException)
            {
                skipped++;
                continue;
            }
            try
            {
                PassRunner.Run(model, [new UpgradeOpset()], new PassContext(new PassOptions { TargetOpset = OpsetAdapters.MaxTarget, Verify = true }));
            }
            catch (InvalidInputException e)
            {
                refused++;
                var key = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
                continue;
            }
            try
            {
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                foreach (var (outputName, e) in expected)
                    if (!(OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles()) <= 1e-4)) failures.Add($"{name}/{outputName} differs");
                compared++;
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
        }
        output.WriteLine($"upgraded to opset {OpsetAdapters.MaxTarget}: {compared} compared, {refused} refused, {skipped} skipped; {failures.Count} failures");
        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value)) output.WriteLine($"  refused x{count}: {reason}");
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(compared > 700, $"only {compared} upgraded models were compared");
        Assert.Empty(failures);
    }
}
