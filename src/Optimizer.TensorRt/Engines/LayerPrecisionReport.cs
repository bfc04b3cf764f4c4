using System.Text.Json;
using System.Text.Json.Nodes;

namespace Optimizer.TensorRt.Engines;

/// <summary>
/// Which precision the engine's layers run in, read from --exportLayerInfo with detailed verbosity. A layer counts in
/// the lowest float precision among its inputs (a Conv that reads INT8 is an INT8 layer); layers that only move
/// integers or booleans count as <see cref="Other"/>. For a Q/DQ model, each quantized ONNX node (a DequantizeLinear
/// feeds it) is found by name in the layer names or in the "[ONNX Layer: …]" metadata; one that runs in a float
/// precision fell back, and <see cref="FellBack"/> lists it.
/// </summary>
public sealed record LayerPrecisionReport(int Int8, int Fp16, int Fp32, int Other, IReadOnlyList<string> FellBack, IReadOnlyList<string> NotFound)
{
    public int Total => Int8 + Fp16 + Fp32 + Other;

    public static LayerPrecisionReport Read(string layerInfoPath, IReadOnlyList<string> quantizedNodes)
    {
        var root = JsonNode.Parse(File.ReadAllText(layerInfoPath)) as JsonObject
            ?? throw new JsonException($"{layerInfoPath} is not a layer information object");
        var layers = (root["Layers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        int int8 = 0, fp16 = 0, fp32 = 0, other = 0;
        var nodePrecision = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var precision = PrecisionOf(layer);
            switch (precision)
            {
                case "INT8": int8++; break;
                case "FP16": fp16++; break;
                case "FP32": fp32++; break;
                default: other++; break;
            }
            foreach (var node in NodesOf(layer)) nodePrecision[node] = precision;
        }
        var fellBack = quantizedNodes.Where(n => nodePrecision.TryGetValue(n, out var p) && p != "INT8").ToList();
        var notFound = quantizedNodes.Where(n => !nodePrecision.ContainsKey(n)).ToList();
        return new LayerPrecisionReport(int8, fp16, fp32, other, fellBack, notFound);
    }

    private static string PrecisionOf(JsonObject layer)
    {
        var formats = (layer["Inputs"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(t => t["Format/Datatype"]?.GetValue<string>() ?? "").ToList();
        if (formats.Any(f => f.Contains("Int8", StringComparison.OrdinalIgnoreCase))) return "INT8";
        if (formats.Any(f => f.Contains("FP16", StringComparison.Ordinal) || f.Contains("BF16", StringComparison.Ordinal) || f.Contains("Half", StringComparison.Ordinal))) return "FP16";
        if (formats.Any(f => f.Contains("FP32", StringComparison.Ordinal) || f.Contains("Float", StringComparison.Ordinal))) return "FP32";
        return "OTHER";
    }

    /// <summary>The ONNX nodes fused into a layer: its name joined with " + ", and the 10.x metadata entries.</summary>
    private static IEnumerable<string> NodesOf(JsonObject layer)
    {
        var name = layer["Name"]?.GetValue<string>() ?? "";
        foreach (var part in name.Split(" + ", StringSplitOptions.TrimEntries)) yield return part;
        var metadata = layer["Metadata"]?.GetValue<string>() ?? "";
        foreach (var entry in metadata.Split('\u001f', StringSplitOptions.RemoveEmptyEntries))
            if (entry.StartsWith("[ONNX Layer: ", StringComparison.Ordinal) && entry.EndsWith(']'))
                yield return entry["[ONNX Layer: ".Length..^1];
    }
}
