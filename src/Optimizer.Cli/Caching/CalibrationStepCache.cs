using System.Text.Json.Nodes;
using Optimizer.Cli.Pipeline;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Caching;

/// <summary>
/// The calibrate step's result in the cache: the calibration table, keyed by the model as it is just before calibration
/// (its serialized bytes), the calibration data and the options that decide the ranges (method, percentile, samples,
/// symmetric ranges for TensorRT, the provider that runs it). Which nodes are then quantized (--exclude, the accuracy
/// budget) is not in the key for a single method: a cached table that covers the tensors this run needs gives exactly
/// their ranges, as calibrating them alone would, since each tensor's range comes from its own statistics. With
/// --calibration-method best (the default) --exclude, --per-tensor and --weight-rounding gptq are in the key: the methods
/// are compared on the quantized model.
/// </summary>
public static class CalibrationStepCache
{
    public const string Step = "calibrate";
    private const string TableFile = "calibration.json";

    /// <summary>The table from the cache when it holds one for these inputs, else <paramref name="calibrate"/>'s (then stored).</summary>
    public static CalibrationTable GetOrCalibrate(Onnx.IR.Model model, IReadOnlyCollection<string> tensors, QuantizeOptions q, OptimizeOptions options,
        TextWriter stderr, Func<CalibrationTable> calibrate)
    {
        if (options.Cache is not { } cache || q.CalibrateDir is not { } data) return calibrate();
        var key = new CacheKey(Step)
            .Line("model", CalibrationTable.HashOf(Onnx.Serialization.ModelWriter.ToBytes(model)))
            .Content("data", data)
            .Options("calibration", new JsonObject
            {
                ["method"] = MethodKey(q),
                ["percentile"] = q.Percentile,
                ["samples"] = q.CalibrationSamples,
                ["symmetric"] = q.Target == QuantizationTarget.TensorRt,
                ["provider"] = options.Provider.ToString(),
                // best compares quantized models, so which nodes stay float and how weights are scaled and rounded decide it too
                ["exclude"] = q.ComparesMethods ? string.Join(",", q.Exclude) : null,
                ["per-tensor"] = q.ComparesMethods ? q.PerTensor == true : null,
                ["weight-rounding"] = q.ComparesMethods && q.Gptq ? "gptq" : null,
                ["compare-by"] = q.ComparesMethods && q.CompareBy.Count > 0 ? string.Join(",", q.CompareBy.Select(g => g.Name)) : null,
            });
        if (q.ComparesMethods && q.CompareOn is { } comparedOn) key.Content("compared-on", comparedOn);
        key.Summary["model"] = Path.GetFileName(options.ModelPath);
        key.Summary["options"] = $"method={MethodKey(q)} percentile={q.Percentile} samples={q.CalibrationSamples?.ToString() ?? "all"} target={QuantizationStep.TargetName(q.Target)}";
        CalibrationTable? earlier = null;
        if (cache.Lookup(key) is { } folder)
        {
            earlier = CalibrationTable.Read(Path.Combine(folder, TableFile));
            var missing = tensors.Distinct().Count(t => !earlier.Ranges.ContainsKey(t));
            if (missing == 0) return Only(earlier, tensors);
            // Calibrated for other tensors than this run quantizes: calibrate these, and keep the ranges of both.
            stderr.WriteLine($"cache: calibrate entry {StepCache.Short(key.Hash)} has no range for {missing} tensor(s) this run needs; calibrating");
            Onnx.IO.CacheEntryFolder.TryDelete(folder);
        }
        var table = calibrate();
        var kept = earlier is null ? table : Union(table, earlier);
        cache.Store(key, entry => kept.Write(Path.Combine(entry, TableFile)));
        return table;
    }

    private static string MethodKey(QuantizeOptions q) =>
        q.ComparesMethods ? "best:" + string.Join("+", q.CompareMethods!.Select(CalibrationTable.MethodName)) : CalibrationTable.MethodName(q.Method);

    /// <summary>The cached table with the ranges of <paramref name="tensors"/> only, in their order (as calibration writes them).</summary>
    private static CalibrationTable Only(CalibrationTable table, IReadOnlyCollection<string> tensors)
    {
        var names = tensors.Distinct(StringComparer.Ordinal).ToList();
        return new CalibrationTable(table.Method, table.Samples, table.ModelHash, table.DataHash,
            names.ToDictionary(n => n, n => table.Ranges[n], StringComparer.Ordinal))
        {
            ChosenMethods = table.ChosenMethods is { } chosen ? names.Where(chosen.ContainsKey).ToDictionary(n => n, n => chosen[n], StringComparer.Ordinal) : null,
            Comparison = table.Comparison,
        };
    }

    /// <summary>The ranges of <paramref name="fresh"/>, then those only <paramref name="earlier"/> has (same model, data and settings).</summary>
    private static CalibrationTable Union(CalibrationTable fresh, CalibrationTable earlier)
    {
        var ranges = fresh.Ranges.Concat(earlier.Ranges.Where(r => !fresh.Ranges.ContainsKey(r.Key))).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        var chosen = fresh.ChosenMethods is null ? null
            : fresh.ChosenMethods.Concat((earlier.ChosenMethods ?? new Dictionary<string, string>()).Where(c => !fresh.ChosenMethods.ContainsKey(c.Key)))
                .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return new CalibrationTable(fresh.Method, fresh.Samples, fresh.ModelHash, fresh.DataHash, ranges)
        {
            ChosenMethods = chosen,
            Comparison = fresh.Comparison,
        };
    }
}
