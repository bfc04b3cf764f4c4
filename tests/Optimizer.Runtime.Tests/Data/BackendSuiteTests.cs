using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Runtime.Tests.Data;

/// <summary>
/// ONNX's own backend test suite (Debian libonnx-testdata): every test_data_set folder is read through the data-set
/// reader, run under ONNX Runtime, and compared with its expected outputs. Models ONNX Runtime rejects are counted
/// and skipped; of the ones it loads, nearly all must match.
/// </summary>
public sealed class BackendSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public void TestDataSetsReproduceTheirExpectedOutputs()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 500, $"expected the backend suite under {TestPaths.OnnxBackendData} (Debian package libonnx-testdata)");
        int rejectedModel = 0, unreadableData = 0, loaded = 0, passed = 0, failed = 0;
        var failures = new List<string>();
        foreach (var model in models)
        {
            ModelRunner runner;
            try { runner = new ModelRunner(model, SessionSettings.ForComparison); }
            catch (InvalidInputException) { rejectedModel++; continue; }
            using (runner)
            {
                loaded++;
                var name = Path.GetFileName(Path.GetDirectoryName(model))!;
                try
                {
                    var data = DataSet.Open(new DataOptions { Folder = Path.GetDirectoryName(model) }, runner.Signature);
                    var ok = true;
                    foreach (var sample in data.Read())
                    {
                        var (actual, _) = runner.Run(sample);
                        foreach (var (outputName, expected) in sample.ExpectedOutputs ?? new Dictionary<string, HostTensor>())
                        {
                            var why = actual.TryGetValue(outputName, out var got) ? Mismatch(expected, got) : "no such output";
                            if (why is null) continue;
                            ok = false;
                            failures.Add($"{name}/{sample.Id}/{outputName}: {why}");
                        }
                    }
                    if (ok) passed++; else failed++;
                }
                catch (InvalidInputException e)
                {
                    // Sequences, strings, NaN inputs on purpose, or ops ORT loads but cannot run here.
                    unreadableData++;
                    if (unreadableData <= 400) output.WriteLine($"not runnable: {name}: {e.Message}");
                }
            }
        }
        output.WriteLine($"{models.Count} models: {rejectedModel} rejected by ONNX Runtime, {loaded} loaded; of those {passed} match, {failed} differ, {unreadableData} with data or runs not supported");
        foreach (var f in failures.Take(50)) output.WriteLine("differs: " + f);
        Assert.True(passed > 0.9 * loaded, $"{passed} of {loaded} loaded models match their expected outputs");
    }

    /// <summary>Why two outputs differ (shape, type, or a value beyond 1e-4 + 1e-3·|expected|), or null when they agree.</summary>
    internal static string? Mismatch(HostTensor expected, HostTensor actual)
    {
        if (expected.ElementType != actual.ElementType) return $"type {actual.ElementType}, expected {expected.ElementType}";
        if (!expected.Shape.SequenceEqual(actual.Shape)) return $"shape {actual.ShapeText}, expected {expected.ShapeText}";
        for (long i = 0; i < expected.ElementCount; i++)
        {
            var e = TensorTypes.ReadAsDouble(expected.Bytes, expected.ElementType, i);
            var a = TensorTypes.ReadAsDouble(actual.Bytes, actual.ElementType, i);
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue;
            if (!(Math.Abs(a - e) <= 1e-4 + 1e-3 * Math.Abs(e))) return $"element {i}: {a}, expected {e}";
        }
        return null;
    }
}
