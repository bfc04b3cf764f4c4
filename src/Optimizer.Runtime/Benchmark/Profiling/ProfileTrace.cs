using System.Globalization;
using System.Text.Json;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>One kernel's execution in ONNX Runtime's profile: the node, its op type and provider, when it started and how long it took (µs).</summary>
public sealed record KernelEvent(string Node, string OpType, string Provider, long StartUs, long DurationUs);

/// <summary>One <c>model_run</c> span of the profile: a whole <c>Run</c> call (µs).</summary>
public sealed record RunSpan(long StartUs, long DurationUs)
{
    public bool Contains(KernelEvent e) => e.StartUs >= StartUs && e.StartUs <= StartUs + DurationUs;
}

/// <summary>
/// ONNX Runtime's profile file, read: a Chrome trace (a JSON array of events). Node events have <c>cat: "Node"</c>,
/// a name <c>&lt;node&gt;_kernel_time</c> (beside <c>_fence_before</c>/<c>_fence_after</c>, which are not kernel time),
/// <c>dur</c> in µs and <c>args.op_name</c>/<c>args.provider</c>; each <c>Run</c> is a <c>cat: "Session"</c> event named
/// <c>model_run</c>.
/// </summary>
public sealed record ProfileTrace(IReadOnlyList<KernelEvent> Kernels, IReadOnlyList<RunSpan> Runs)
{
    private const string KernelSuffix = "_kernel_time";

    public static ProfileTrace Parse(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidInputException($"{source}: not a Chrome trace (expected a JSON array of events)");
            var (kernels, runs) = (new List<KernelEvent>(), new List<RunSpan>());
            foreach (var e in document.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("cat", out var cat) || !e.TryGetProperty("name", out var nameElement)) continue;
                var name = nameElement.GetString() ?? "";
                var (start, duration) = (Number(e, "ts"), Number(e, "dur"));
                if (cat.GetString() == "Session" && name == "model_run") runs.Add(new RunSpan(start, duration));
                else if (cat.GetString() == "Node" && name.EndsWith(KernelSuffix, StringComparison.Ordinal))
                {
                    var args = e.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                    kernels.Add(new KernelEvent(name[..^KernelSuffix.Length], Text(args, "op_name") ?? "?", Text(args, "provider") ?? "?", start, duration));
                }
            }
            return new ProfileTrace(kernels, runs);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{source}: not a readable profile trace: {e.Message}", e);
        }
    }

    /// <summary>The last <paramref name="count"/> runs and their kernels (the runs before them were warm-up).</summary>
    public ProfileTrace LastRuns(int count)
    {
        var kept = Runs.OrderBy(r => r.StartUs).TakeLast(Math.Max(count, 0)).ToList();
        return new ProfileTrace(Kernels.Where(k => kept.Any(r => r.Contains(k))).ToList(), kept);
    }

    private static long Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (long)Math.Round(v.GetDouble()) : 0;

    private static string? Text(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;
}
