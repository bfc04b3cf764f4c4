using System.Security.Cryptography;
using System.Text.Json;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The calibration table written to <c>OUT/calibration.json</c> and read back with <c>--calibration-table FILE</c>:
/// the method, how many samples, hashes of the model and the data, and the range of every tensor.
/// <code>
/// { "version": 1, "method": "entropy", "samples": 19, "model_hash": "…", "data_hash": null, "cross_layer_equalization": true,
///   "ranges": { "input": { "min": -2.1179, "max": 2.64 }, … } }
/// </code>
/// </summary>
public sealed class CalibrationTable
{
    public const int FormatVersion = 1;

    public CalibrationTable(string method, int samples, string modelHash, string? dataHash, IReadOnlyDictionary<string, TensorRange> ranges)
    {
        Method = method;
        Samples = samples;
        ModelHash = modelHash;
        DataHash = dataHash;
        Ranges = ranges;
    }

    /// <summary>The method's name in lower case: minmax, percentile, entropy or auto.</summary>
    public string Method { get; }

    public int Samples { get; }

    /// <summary>Lower-case hex SHA-256 of the model the statistics were collected on (see <see cref="HashOf"/>).</summary>
    public string ModelHash { get; }

    /// <summary>A hash of the calibration data when the caller has one.</summary>
    public string? DataHash { get; }

    /// <summary>The range of every tensor, in the order they were written.</summary>
    public IReadOnlyDictionary<string, TensorRange> Ranges { get; }

    /// <summary>Seconds the collection took, for the report (null for a table read from a file; not written to it).</summary>
    public double? CalibrationSeconds { get; init; }

    /// <summary>The part of <see cref="CalibrationSeconds"/> spent waiting for samples to be read (not written to the file).</summary>
    public double? DataWaitSeconds { get; init; }

    /// <summary>
    /// For method auto: the method chosen for each tensor (written as each range's "method"); null otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ChosenMethods { get; init; }

    /// <summary>When the method was chosen by comparing quantized models (<c>--calibration-method best</c>); null otherwise.</summary>
    public MethodComparison? Comparison { get; init; }

    /// <summary>
    /// Whether cross-layer equalization rescaled the model's Conv pairs before calibration (their intermediate tensors'
    /// ranges depend on it, so a reuse of the table must do the same); null when the table does not say (written before
    /// the choice was recorded, when equalization always ran).
    /// </summary>
    public bool? Equalized { get; init; }

    /// <summary>
    /// With one method asked for: its quantized model measured against FP32 (for the report and the low-SQNR warning).
    /// Not written to the file: it depends on which nodes were quantized, which the table's ranges do not.
    /// </summary>
    public MethodComparison? Measured { get; init; }

    /// <summary>This table with <see cref="Equalized"/> set.</summary>
    public CalibrationTable WithEqualized(bool? equalized) => Copy(equalized, Measured);

    /// <summary>This table with <see cref="Measured"/> set.</summary>
    public CalibrationTable WithMeasured(MethodComparison? measured) => Copy(Equalized, measured);

    private CalibrationTable Copy(bool? equalized, MethodComparison? measured) => new(Method, Samples, ModelHash, DataHash, Ranges)
    {
        CalibrationSeconds = CalibrationSeconds,
        DataWaitSeconds = DataWaitSeconds,
        ChosenMethods = ChosenMethods,
        Comparison = Comparison,
        Equalized = equalized,
        Measured = measured,
    };

    /// <summary>For method auto: how many tensors got each method, in the order auto tries them; null otherwise.</summary>
    public IReadOnlyDictionary<string, int>? ChosenCounts => ChosenMethods is null ? null
        : RangeChoice.AutoCandidates.Select(MethodName).ToDictionary(m => m, m => ChosenMethods.Values.Count(v => v == m));

    /// <summary>The table of <paramref name="statistics"/> by the method of <paramref name="settings"/>.</summary>
    public static CalibrationTable From(CalibrationStatistics statistics, CalibrationSettings settings, byte[] modelBytes, string? dataHash = null)
    {
        var chosen = statistics.RangesWithMethods(settings.Method, settings.Percentile, settings.Symmetric);
        return new(MethodName(settings.Method), statistics.SampleCount, HashOf(modelBytes), dataHash, chosen.ToDictionary(kv => kv.Key, kv => kv.Value.Range, StringComparer.Ordinal))
        {
            CalibrationSeconds = statistics.Elapsed > TimeSpan.Zero ? statistics.Elapsed.TotalSeconds : null,
            DataWaitSeconds = statistics.Elapsed > TimeSpan.Zero ? statistics.DataWait.TotalSeconds : null,
            ChosenMethods = settings.Method == CalibrationMethod.Auto
                ? chosen.ToDictionary(kv => kv.Key, kv => MethodName(kv.Value.Method), StringComparer.Ordinal)
                : null,
        };
    }

    public static string MethodName(CalibrationMethod method) => method.ToString().ToLowerInvariant();

    /// <summary>Lower-case hex SHA-256 of the model's bytes.</summary>
    public static string HashOf(byte[] modelBytes) => Convert.ToHexStringLower(SHA256.HashData(modelBytes));

    /// <summary>Writes the table atomically (the file appears only once complete).</summary>
    public void Write(string path) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("version", FormatVersion);
        json.WriteString("method", Method);
        json.WriteNumber("samples", Samples);
        json.WriteString("model_hash", ModelHash);
        if (DataHash is null) json.WriteNull("data_hash");
        else json.WriteString("data_hash", DataHash);
        if (Equalized is { } equalized) json.WriteBoolean("cross_layer_equalization", equalized);
        if (Comparison is { } comparison)
        {
            json.WriteStartObject("compared");
            // +inf (identical outputs) as null; a method whose model could not run as "not run"
            foreach (var (method, value) in comparison.Values)
                if (double.IsFinite(value)) json.WriteNumber(method, Math.Round(value, 3));
                else if (value > 0) json.WriteNull(method);
                else json.WriteString(method, "not run");
            json.WriteEndObject();
            json.WriteString("compared_by", comparison.By);
            if (comparison.On is { } on) json.WriteString("compared_on", on);
            json.WriteNumber("compared_samples", comparison.Samples);
        }
        json.WriteStartObject("ranges");
        foreach (var range in Ranges.Values)
        {
            json.WriteStartObject(range.Name);
            json.WriteNumber("min", range.Min);
            json.WriteNumber("max", range.Max);
            if (!range.Observed) json.WriteBoolean("observed", false);
            if (ChosenMethods is not null && ChosenMethods.TryGetValue(range.Name, out var chosen)) json.WriteString("method", chosen);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    });

    /// <summary>Reads a table; a file that is not one is an <see cref="InvalidInputException"/> naming it and what is wrong.</summary>
    public static CalibrationTable Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"calibration table '{path}' does not exist");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Parse(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"calibration table '{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Refuses a table that lacks a range for any of <paramref name="required"/>, naming the missing tensors (the first
    /// ten, then how many more).
    /// </summary>
    public void CheckCovers(IEnumerable<string> required, string tablePath)
    {
        var missing = required.Where(n => !Ranges.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidInputException(
                $"calibration table '{tablePath}' has no range for {missing.Count} tensor{(missing.Count == 1 ? "" : "s")} the model needs: {NameList.Format(missing)}");
    }

    private static CalibrationTable Parse(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "the top level is not an object");
        if (root.TryGetProperty("version", out var version) && !(version.TryGetInt32(out var v) && v == FormatVersion))
            throw Bad(path, $"format version {version} is not {FormatVersion}");
        var method = Field(root, "method", JsonValueKind.String, path).GetString()!;
        if (!Enum.GetValues<CalibrationMethod>().Any(m => MethodName(m) == method))
            throw Bad(path, $"method '{method}' is not minmax, percentile, entropy or auto");
        var samplesField = Field(root, "samples", JsonValueKind.Number, path);
        if (!samplesField.TryGetInt32(out var samples) || samples < 0) throw Bad(path, $"'samples' is not a count: {samplesField}");
        var modelHash = Field(root, "model_hash", JsonValueKind.String, path).GetString()!;
        string? dataHash = null;
        if (root.TryGetProperty("data_hash", out var data) && data.ValueKind != JsonValueKind.Null)
            dataHash = data.ValueKind == JsonValueKind.String ? data.GetString() : throw Bad(path, "'data_hash' is not a string");

        var ranges = new Dictionary<string, TensorRange>(StringComparer.Ordinal);
        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Field(root, "ranges", JsonValueKind.Object, path).EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad(path, $"range of '{entry.Name}' is not an object");
            var min = Number(entry.Value, "min", entry.Name, path);
            var max = Number(entry.Value, "max", entry.Name, path);
            if (min > max) throw Bad(path, $"range of '{entry.Name}' has min {min} above max {max}");
            var observed = !entry.Value.TryGetProperty("observed", out var o) || o.ValueKind != JsonValueKind.False;
            if (!ranges.TryAdd(entry.Name, new TensorRange(entry.Name, min, max) { Observed = observed })) throw Bad(path, $"'{entry.Name}' has two ranges");
            if (entry.Value.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String) chosen[entry.Name] = m.GetString()!;
        }
        MethodComparison? comparison = null;
        if (root.TryGetProperty("compared", out var comparedField) && comparedField.ValueKind == JsonValueKind.Object)
            comparison = new MethodComparison(
                comparedField.EnumerateObject().ToDictionary(c => c.Name,
                    c => c.Value.ValueKind switch
                    {
                        JsonValueKind.Number => c.Value.GetDouble(),
                        JsonValueKind.Null => double.PositiveInfinity,
                        _ => double.NaN,
                    }, StringComparer.Ordinal),
                root.TryGetProperty("compared_by", out var cb) && cb.ValueKind == JsonValueKind.String ? cb.GetString()! : "sqnr",
                root.TryGetProperty("compared_on", out var co) && co.ValueKind == JsonValueKind.String ? co.GetString() : null,
                root.TryGetProperty("compared_samples", out var cs) && cs.TryGetInt32(out var k) ? k : 0);
        return new CalibrationTable(method, samples, modelHash, dataHash, ranges)
        {
            ChosenMethods = method == MethodName(CalibrationMethod.Auto) ? chosen : null,
            Comparison = comparison,
            Equalized = root.TryGetProperty("cross_layer_equalization", out var e) ? e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(path, "'cross_layer_equalization' is not true or false"),
            } : null,
        };
    }

    private static JsonElement Field(JsonElement obj, string name, JsonValueKind kind, string path)
    {
        if (!obj.TryGetProperty(name, out var value)) throw Bad(path, $"field '{name}' is missing");
        if (value.ValueKind != kind) throw Bad(path, $"field '{name}' is {value.ValueKind.ToString().ToLowerInvariant()}, not {kind.ToString().ToLowerInvariant()}");
        return value;
    }

    private static float Number(JsonElement range, string name, string tensor, string path)
    {
        if (!range.TryGetProperty(name, out var value)) throw Bad(path, $"range of '{tensor}' has no '{name}'");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out var x) || !float.IsFinite(x))
            throw Bad(path, $"'{name}' of '{tensor}' is not a finite number: {value}");
        return x;
    }

    private static InvalidInputException Bad(string path, string problem) => new($"calibration table '{path}': {problem}");
}

/// <summary>
/// How <c>--calibration-method best</c> chose: each compared method's figure, the metric it is ("sqnr", the worst
/// output SQNR in dB, or the accuracy budget's gate that decided, e.g. mask-agreement@0.3), the data folder the models
/// ran on when not the calibration data (the budget's --validate data), and on how many samples.
/// </summary>
public sealed record MethodComparison(IReadOnlyDictionary<string, double> Values, string By, string? On, int Samples);
