using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Triton;

/// <summary>
/// The batching a latency-budget search chose, read from the report.json of
/// <c>optimize bench MODEL --batch auto --max-p95 MS --report DIR</c>: the chosen batch becomes max_batch_size and the
/// preferred batch size, and what its p95 leaves of the budget becomes the queue delay (a request may wait that long
/// for others and its batch still finish within the budget).
/// </summary>
public static class TritonBatchReport
{
    public static TritonBatching Read(string path)
    {
        try
        {
            return ReadReport(path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A value of another kind than bench writes (a string for a number, say).
            throw new InvalidInputException($"--triton-batch-from '{path}' is not a bench report ({e.Message})");
        }
    }

    private static TritonBatching ReadReport(string path)
    {
        const string option = "--triton-batch-from";
        if (Directory.Exists(path)) path = Path.Combine(path, "report.json");
        if (!File.Exists(path)) throw new InvalidInputException($"{option} '{path}': no such file (give the report.json of 'optimize bench --batch auto --max-p95 MS --report DIR')");
        JsonNode? report;
        try
        {
            report = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{option} '{path}' is not JSON ({e.Message})");
        }
        if (report?["search"] is not JsonObject search)
            throw new InvalidInputException($"{option} '{path}' holds no batch search; write it with 'optimize bench MODEL --batch auto --max-p95 MS --report DIR'");
        var reason = search["reason"]?.GetValue<string>() ?? "";
        if (search["chosen"]?.GetValue<int>() is not { } chosen)
            throw new InvalidInputException($"{option} '{path}': the search chose no batch size ({reason}); nothing to configure batching with");
        var budget = search["maxP95Ms"]?.GetValue<double>();
        var p95 = (report["batches"] as JsonArray)?.FirstOrDefault(b => b?["batchSize"]?.GetValue<int>() == chosen)?["latencyMs"]?["p95"]?.GetValue<double>();
        ulong? delay = budget is { } b && p95 is { } p ? (ulong)Math.Max(0, Math.Floor((b - p) * 1000)) : null;
        var source = $"the batch search in {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)))}/{Path.GetFileName(path)}" +
                     (budget is { } max ? string.Create(CultureInfo.InvariantCulture, $" (p95 budget {max:0.###} ms)") : "");
        return new TritonBatching(Preferred: chosen, QueueDelayMicroseconds: delay, Source: source);
    }
}
