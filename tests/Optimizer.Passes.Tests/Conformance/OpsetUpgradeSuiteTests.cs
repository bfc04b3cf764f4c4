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
/// Every backend-suite model ONNX Runtime can run, upgraded alone (no other pass) to opset 13 (what INT8 needs) and to
/// the highest opset the upgrade supports: either the upgrade refuses with a reason, or the upgraded model gives the
/// same outputs. The models of the old exporters (opset 1..8, IR 3) are counted apart; where ONNX Runtime has no
/// kernel left for one of their operators (Add-6, Gemm-6, PRelu-6, BatchNormalization-6, AveragePool-1, Pow-1), the
/// upgraded model is compared with the outputs the suite stores instead.
/// </summary>
public sealed class OpsetUpgradeSuiteTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(13)]
    [InlineData(OpsetAdapters.MaxTarget)]
    public void UpgradedBackendModelsKeepTheirOutputsOrAreRefused(long target)
    {
        int compared = 0, refused = 0, skipped = 0, oldCompared = 0, oldRefused = 0, stored = 0;
        var failures = new List<string>();
        var reasons = new Dictionary<string, int>();
        foreach (var path in TestPaths.BackendModels())
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            Dictionary<string, TestTensor> expected;
            var old = false;
            var fromStored = false;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                // A model that imports no ONNX opset (only ai.onnx.preview.training) has nothing to upgrade.
                if (inputs is null || model.GetOpset("") is not { } opset || opset > target || model.Graph.AllNodes().Any(n => n.OpType.StartsWith("Random") || n.OpType is "Bernoulli" or "Multinomial" or "Dropout"))
                {
                    skipped++;
                    continue;
                }
                old = opset < 9;
                try
                {
                    expected = OrtRunner.Run(File.ReadAllBytes(path), inputs);
                }
                catch (OnnxRuntimeException) when (old)
                {
                    // Computed by the exporter, not by ONNX Runtime: float noise of another implementation.
                    expected = ReferenceData.BackendOutputs(path, model) ?? throw new NotSupportedException("no stored outputs");
                    fromStored = true;
                }
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException or OptimizerException or OverflowException)
            {
                skipped++;
                continue;
            }
            try
            {
                PassRunner.Run(model, [new UpgradeOpset()], new PassContext(new PassOptions { TargetOpset = target, Verify = true }));
            }
            catch (InvalidInputException e)
            {
                refused++;
                if (old)
                {
                    oldRefused++;
                    output.WriteLine($"refused {name}: {e.Message}");
                }
                var key = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
                continue;
            }
            try
            {
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                var tolerance = fromStored ? 1e-3 : 1e-4;
                foreach (var (outputName, e) in expected)
                    if (!(OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles()) <= tolerance)) failures.Add($"{name}/{outputName} differs");
                compared++;
                if (old) oldCompared++;
                if (fromStored) stored++;
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
        }
        output.WriteLine($"upgraded to opset {target}: {compared} compared, {refused} refused, {skipped} skipped; {failures.Count} failures");
        output.WriteLine($"  of them below opset 9: {oldCompared} compared ({stored} with the stored outputs), {oldRefused} refused");
        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value)) output.WriteLine($"  refused x{count}: {reason}");
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(compared > (target == 13 ? 400 : 700), $"only {compared} upgraded models were compared");
        Assert.True(oldCompared > 100, $"only {oldCompared} upgraded models below opset 9 were compared");
        Assert.Empty(failures);
    }
}
