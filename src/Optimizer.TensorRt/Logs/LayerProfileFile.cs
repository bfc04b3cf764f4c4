using System.Text.Json;
using Optimizer.Onnx.Errors;

namespace Optimizer.TensorRt.Logs;

/// <summary>One layer of trtexec's per-layer profile: total ms over the profiled queries, average, median (8.4 and later) and share in percent.</summary>
public sealed record LayerTime(string Name, double TimeMs, double AverageMs, double? MedianMs, double Percentage);

/// <summary>
/// trtexec's <c>--exportProfile</c> file (sampleReporting.cpp <c>Profiler::exportJSONProfile</c>):
/// <c>[{"count":N}, {"name","timeMs","averageMs","medianMs","percentage"}, …]</c>, N being the profiled queries.
/// </summary>
public sealed record LayerProfileFile(int Count, IReadOnlyList<LayerTime> Layers)
{
    public static LayerProfileFile Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var items = document.RootElement.EnumerateArray().ToList();
            if (items.Count == 0 || !items[0].TryGetProperty("count", out var count))
                throw new ExternalToolException($"trtexec's profile {path} does not start with {{\"count\": N}}");
            var layers = items.Skip(1).Select(e => new LayerTime(
                e.GetProperty("name").GetString() ?? "",
                e.GetProperty("timeMs").GetDouble(),
                e.GetProperty("averageMs").GetDouble(),
                e.TryGetProperty("medianMs", out var median) ? median.GetDouble() : null,
                e.GetProperty("percentage").GetDouble())).ToList();
            return new LayerProfileFile(count.GetInt32(), layers);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ExternalToolException($"trtexec's profile {path} is not in the format trtexec writes: {e.Message}", e);
        }
    }
}
