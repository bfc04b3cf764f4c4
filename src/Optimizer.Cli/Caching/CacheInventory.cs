using System.Globalization;
using System.Text.Json.Nodes;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Caching;

/// <summary>One entry of a cache folder, as <c>optimize cache list</c> shows it.</summary>
public sealed record CacheEntryInfo(string Step, string Key, string Model, string Options, long Bytes, DateTime LastUsed, string Folder);

/// <summary>
/// What a cache folder holds (the entries of every step, and staging folders left by runs that died) and pruning it to
/// a size, least recently used first.
/// </summary>
public static class CacheInventory
{
    /// <summary>Every entry of the cache at <paramref name="root"/>, least recently used first.</summary>
    public static IReadOnlyList<CacheEntryInfo> Entries(string root)
    {
        var entries = new List<CacheEntryInfo>();
        foreach (var step in StepCache.Steps)
        {
            var stepFolder = Path.Combine(root, step);
            if (!Directory.Exists(stepFolder)) continue;
            foreach (var folder in Directory.EnumerateDirectories(stepFolder).Where(f => !Path.GetFileName(f).StartsWith('.')))
            {
                var entry = CacheEntryFolder.Read(folder);
                var used = entry?["lastUsed"]?.GetValue<string>() is { } text && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : Directory.GetLastWriteTimeUtc(folder);
                entries.Add(new CacheEntryInfo(step, Path.GetFileName(folder), entry?["summary"]?["model"]?.GetValue<string>() ?? "?",
                    entry?["summary"]?["options"]?.GetValue<string>() ?? "", Size(folder), used, folder));
            }
        }
        return entries.OrderBy(e => e.LastUsed).ThenBy(e => e.Folder, StringComparer.Ordinal).ToList();
    }

    /// <summary>Staging folders whose run no longer runs (killed mid-store), in every step folder.</summary>
    public static IReadOnlyList<string> StaleStaging(string root) =>
        StepCache.Steps.Select(s => Path.Combine(root, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Where(f => CacheEntryFolder.IsStaging(Path.GetFileName(f)))
            .Where(f => CacheEntryFolder.StagingProcess(Path.GetFileName(f)) is not { } pid || !Output.OutputTransaction.IsAlive(pid))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>The entries to remove, least recently used first, so that the rest fit in <paramref name="maxBytes"/>.</summary>
    public static IReadOnlyList<CacheEntryInfo> ToPrune(IReadOnlyList<CacheEntryInfo> entries, long maxBytes)
    {
        var total = entries.Sum(e => e.Bytes);
        var removed = new List<CacheEntryInfo>();
        foreach (var entry in entries.OrderBy(e => e.LastUsed))
        {
            if (total <= maxBytes) break;
            removed.Add(entry);
            total -= entry.Bytes;
        }
        return removed;
    }

    /// <summary>A size as given to --max-size: bytes, or a number with K, M, G or T (powers of 1024; "500M", "2G", "1.5GiB").</summary>
    public static long ParseSize(string text)
    {
        var trimmed = text.Trim();
        var unit = trimmed.TrimStart("0123456789.".ToCharArray());
        var number = trimmed[..^unit.Length];
        var factor = unit.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => 0L,
        };
        if (factor == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * factor > long.MaxValue)
            throw new InvalidInputException($"--max-size '{text}' is not a size; give bytes or a number with K, M, G or T (e.g. 500M, 2G)");
        return (long)(value * factor);
    }

    /// <summary>The cache folder a subcommand works on: --cache, else $OPTIMIZE_CACHE; it must exist.</summary>
    public static string Folder(string? option)
    {
        var root = StepCache.Resolve(option)
            ?? throw new InvalidInputException($"no cache folder: give --cache DIR or set ${StepCache.Variable}");
        var shown = option is null ? $"${StepCache.Variable} '{root}'" : $"--cache '{option}'";
        if (File.Exists(root)) throw new InvalidInputException($"{shown} is a file, not a cache folder");
        if (!Directory.Exists(root)) throw new InvalidInputException($"{shown}: no such folder");
        return Path.GetFullPath(root);
    }

    public static JsonObject ToJson(CacheEntryInfo e) => new()
    {
        ["step"] = e.Step,
        ["key"] = e.Key,
        ["model"] = e.Model,
        ["options"] = e.Options,
        ["bytes"] = e.Bytes,
        ["lastUsed"] = e.LastUsed.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
    };

    private static long Size(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
