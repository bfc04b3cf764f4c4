using System.Text.Json.Nodes;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// The key figures of one job, read from what the job itself wrote into its output folder: OUT/model.onnx (and
/// model.onnx.data), OUT/model.plan, OUT/report.json (quantization, half precision) and its validation (in
/// report.json or OUT/validation/report.json). Read only after a job that finished (exit 0, or 1 for a missed gate,
/// which still writes its folder): after any other exit the folder may hold a previous run's files.
/// </summary>
public sealed record JobFigures(long? ModelBytes, long? EngineBytes, double? Cosine, double? Top1, bool? GatesPassed, int? QuantizedNodes, double? Speedup)
{
    /// <summary>The job validated without a gate ("checked": false): nothing was checked, so it did not pass either.</summary>
    public bool NothingChecked { get; init; }

    public static JobFigures Read(string outDir)
    {
        FileInfo? Existing(string name)
        {
            var file = new FileInfo(Path.Combine(outDir, name));
            return file.Exists ? file : null;
        }
        var model = Existing("model.onnx");
        long? modelBytes = model is null ? null : model.Length + (Existing("model.onnx.data")?.Length ?? 0);
        var engineBytes = Existing("model.plan")?.Length;
        var report = Load(Existing("report.json"));
        var validation = report?["validation"] as JsonObject ?? Load(Existing(Path.Combine("validation", "report.json")));
        var outputs = (validation?["outputs"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        double? Lowest(string key) => outputs.Select(o => o[key]).OfType<JsonValue>()
            .Select(v => v.TryGetValue<double>(out var d) ? d : (double?)null).Where(d => d is not null).Min();
        var quantized = report?["quantization"]?["quantizedNodes"] ?? report?["halfPrecision"]?["convertedNodes"];
        return new JobFigures(modelBytes, engineBytes, Lowest("cosineSimilarity"), Lowest("top1Agreement"),
            validation?["passed"] is JsonValue passed && passed.TryGetValue<bool>(out var p) ? p : null,
            quantized is JsonValue q && q.TryGetValue<int>(out var n) ? n : null,
            validation?["latency"]?["speedup"] is JsonValue s && s.TryGetValue<double>(out var speedup) ? speedup : null)
        {
            NothingChecked = validation?["checked"] is JsonValue c && c.TryGetValue<bool>(out var isChecked) && !isChecked,
        };
    }

    private static JsonObject? Load(FileInfo? file)
    {
        if (file is null) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(file.FullName)) as JsonObject;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException)
        {
            return null; // a report the job did not finish is no figure
        }
    }
}
