using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// ONNX's backend test suite converted to float16 with the defaults: every model with float32 computation converts,
/// meets the type rules, runs in ONNX Runtime (optimizations off) on its test_data_set_0 and agrees with its float32
/// self (relative error at most 1e-2, or cosine at least 0.999). Models without float32 computation are counted apart
/// (nothing to convert). Every other model is in <see cref="Excluded"/> with its reason; an unlisted model that fails,
/// or a listed one that passes, fails the test.
/// </summary>
public sealed class BackendSuiteHalfPrecisionTests(ITestOutputHelper output)
{
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .AddOnnxRuntimeGaps()
        .AddTestKitGaps();

    [Fact]
    public void EveryFloatModelConvertsAndRunsInFloat16()
    {
        var models = TestPaths.BackendModels();
        var failed = new Dictionary<string, string>();
        var passed = new List<string>();
        var (converted, nothing) = (0, 0);
        var declined = new Dictionary<string, int>();
        foreach (var (name, model, inputs, expected) in BackendCases.Load(models, failed, "the float32 model"))
        {
            try
            {
                var (result, _) = HalfPrecisionSupport.Convert(model, new HalfPrecisionSettings());
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                string? difference = null;
                foreach (var (outputName, e) in expected)
                {
                    var a = actual[outputName];
                    var error = OrtRunner.RelativeError(e.AsDoubles(), a.AsDoubles());
                    if (!e.Dims.SequenceEqual(a.Dims) || e.Type != a.Type) difference ??= $"{outputName}: {a.Type}{Dims(a)} instead of {e.Type}{Dims(e)}";
                    else if (!(error <= 1e-2) && !(HalfPrecisionSupport.Cosine(e, a) >= 0.999)) difference ??= $"{outputName}: relative error {error:E2}";
                }
                if (difference is not null) failed[name] = "converted: " + difference;
                else
                {
                    passed.Add(name);
                    if (result.ConvertedNodes > 0) converted++;
                    else if (result.KeptFloat.Count == 0) nothing++;
                    else
                        foreach (var reason in result.KeptFloat.Select(k => k.OpType.Length > 0 ? k.OpType + ": " + k.Reason : k.Reason.Split(':')[0]).Distinct())
                            declined[reason] = declined.GetValueOrDefault(reason) + 1;
                }
            }
            catch (Exception e)
            {
                failed[name] = $"converted: {e.GetType().Name}: {BackendCases.FirstLine(e.Message)}";
            }
        }
        output.WriteLine($"{models.Count} models: {converted} converted and agree, {nothing} have no float32 computation, {passed.Count - converted - nothing} declined (every float node kept float32), "
                         + $"{failed.Count} not run here ({Excluded.Count} listed)");
        foreach (var (reason, count) in declined.OrderByDescending(d => d.Value)) output.WriteLine($"  declined {count}: {reason}");
        foreach (var reason in failed.Where(f => Excluded.Contains(f.Key)).GroupBy(f => Excluded.Reason(f.Key)).OrderByDescending(g => g.Count()))
            output.WriteLine($"  {reason.Count()}: {reason.Key}");
        Excluded.Check(failed, passed, output.WriteLine);
    }

    private static string Dims(TestTensor t) => "[" + string.Join(",", t.Dims) + "]";

}
