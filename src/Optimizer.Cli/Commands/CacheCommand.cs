using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Optimizer.Cli.Caching;
using Optimizer.Cli.Output;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize cache list|prune</c>: what a <c>--cache</c> folder holds (step, key, model, size, last used) and pruning it
/// to a size, least recently used first, with the staging folders runs that died left behind.
/// </summary>
public static class CacheCommand
{
    public static Command Create()
    {
        var command = new Command("cache", "Show or prune the --cache folder (default: $" + StepCache.Variable + ").");
        command.Add(List());
        command.Add(Prune());
        return command;
    }

    private static Option<string?> CacheOption() =>
        new("--cache") { HelpName = "DIR", Description = $"The cache folder (default: ${StepCache.Variable})." };

    private static Command List()
    {
        var cache = CacheOption();
        var json = new Option<bool>("--json") { Description = "Print the entries as JSON." };
        var command = new Command("list", "Every entry of the cache, least recently used first, with the totals.") { cache, json };
        command.SetAction((ParseResult parse, CancellationToken _) =>
        {
            var root = CacheInventory.Folder(parse.GetValue(cache));
            var entries = CacheInventory.Entries(root);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var document = new JsonObject
                {
                    ["entries"] = new JsonArray(entries.Select(e => (JsonNode)CacheInventory.ToJson(e)).ToArray()),
                    ["count"] = entries.Count,
                    ["bytes"] = entries.Sum(e => e.Bytes),
                };
                stdout.Write(Json.Serialize(document) + "\n");
                return Task.FromResult(0);
            }
            stdout.WriteLine($"{"step",-10} {"key",-12}  {"model",-24} {"size",10}  last used (UTC)");
            foreach (var e in entries)
                stdout.WriteLine($"{e.Step,-10} {e.Key[..Math.Min(12, e.Key.Length)],-12}  {e.Model,-24} {SummaryText.Bytes(e.Bytes),10}  {Time(e.LastUsed)}");
            var byStep = string.Join(", ", entries.GroupBy(e => e.Step).Select(g => $"{g.Count()} {g.Key}"));
            stdout.WriteLine($"{entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}{(byStep == "" ? "" : $" ({byStep})")}, {SummaryText.Bytes(entries.Sum(e => e.Bytes))} in {root}");
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command Prune()
    {
        var cache = CacheOption();
        var maxSize = new Option<string>("--max-size") { HelpName = "SIZE", Description = "Remove the least recently used entries until the cache is at most SIZE (bytes, or 500M, 2G...).", Required = true };
        var command = new Command("prune", "Remove the least recently used entries down to --max-size, and the staging folders of runs that stopped.") { cache, maxSize };
        command.SetAction((ParseResult parse, CancellationToken _) =>
        {
            var limit = CacheInventory.ParseSize(parse.GetValue(maxSize)!);
            var root = CacheInventory.Folder(parse.GetValue(cache));
            var stdout = parse.InvocationConfiguration.Output;
            foreach (var stale in CacheInventory.StaleStaging(root))
            {
                Onnx.IO.CacheEntryFolder.TryDelete(stale);
                stdout.WriteLine($"removed {Path.GetRelativePath(root, stale)} (left half-written by a run that stopped)");
            }
            var entries = CacheInventory.Entries(root);
            var removed = CacheInventory.ToPrune(entries, limit);
            foreach (var e in removed)
            {
                Onnx.IO.CacheEntryFolder.TryDelete(e.Folder);
                stdout.WriteLine($"removed {e.Step} {e.Key[..Math.Min(12, e.Key.Length)]} {e.Model} ({SummaryText.Bytes(e.Bytes)}, last used {Time(e.LastUsed)})");
            }
            var kept = entries.Except(removed).ToList();
            stdout.WriteLine($"removed {removed.Count} entr{(removed.Count == 1 ? "y" : "ies")} ({SummaryText.Bytes(removed.Sum(e => e.Bytes))}); " +
                             $"kept {kept.Count} ({SummaryText.Bytes(kept.Sum(e => e.Bytes))} of at most {SummaryText.Bytes(limit)})");
            return Task.FromResult(0);
        });
        return command;
    }

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
