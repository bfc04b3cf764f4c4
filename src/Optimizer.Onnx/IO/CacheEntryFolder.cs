using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Optimizer.Onnx.IO;

/// <summary>
/// One entry of a content-keyed cache: a folder ROOT/STEP/KEY/ holding a step's files and <c>entry.json</c>, which lists
/// each file's sha256 and size, the step, a summary of what the key stands for, and when the entry was created and
/// last used. An entry is filled in a staging folder (ROOT/STEP/.KEY.GUID.tmp) and published by one rename, so a
/// reader never sees half an entry; on the way out every file is checked against entry.json, so a corrupt or
/// half-written entry is refused (and deleted) rather than used. The engine cache and the pipeline's step cache share it.
/// </summary>
public static class CacheEntryFolder
{
    public const string EntryFile = "entry.json";
    private const string StagingSuffix = ".tmp";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Fills a staging folder with <paramref name="fill"/>, writes entry.json over its files, and renames it to
    /// <paramref name="folder"/>; an entry already there (another run stored it first) is left as it is.</summary>
    public static void Publish(string folder, string step, string key, JsonObject summary, Action<string> fill)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        Directory.CreateDirectory(parent);
        if (Directory.Exists(folder)) return;
        var staging = Path.Combine(parent, $".{key}.{Environment.ProcessId}.{Guid.NewGuid():N}{StagingSuffix}");
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            var files = new JsonArray();
            foreach (var relative in Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories)
                         .Select(f => Path.GetRelativePath(staging, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
            {
                var path = Path.Combine(staging, relative);
                files.Add(new JsonObject { ["path"] = relative, ["bytes"] = new FileInfo(path).Length, ["sha256"] = FileHash.Sha256(path) });
            }
            var now = Now();
            var entry = new JsonObject
            {
                ["step"] = step,
                ["key"] = key,
                ["summary"] = summary,
                ["created"] = now,
                ["lastUsed"] = now,
                ["files"] = files,
            };
            File.WriteAllText(Path.Combine(staging, EntryFile), entry.ToJsonString(Indented) + "\n");
            Directory.Move(staging, folder);
        }
        catch (IOException) when (Directory.Exists(folder))
        {
            // Another run stored the same entry first; its files are as good as ours.
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// The entry's files (relative paths) when the folder holds an intact entry; null when there is none. An entry that
    /// is there but does not match its entry.json (a flipped byte, a missing file, no or an unreadable entry.json) is
    /// deleted, and <paramref name="problem"/> says what was wrong with it.
    /// </summary>
    public static IReadOnlyList<string>? Open(string folder, out string? problem)
    {
        problem = null;
        if (!Directory.Exists(folder)) return null;
        problem = Check(folder, out var files);
        if (problem is null) return files;
        TryDelete(folder);
        return null;
    }

    /// <summary>What is wrong with the entry in <paramref name="folder"/>, or null when every file matches entry.json.</summary>
    public static string? Check(string folder, out IReadOnlyList<string> files)
    {
        files = [];
        var entry = Read(folder);
        if (entry?["files"] is not JsonArray listed) return $"{EntryFile} is missing or unreadable";
        var names = new List<string>();
        foreach (var file in listed)
        {
            var relative = file?["path"]?.GetValue<string>();
            if (relative is null || Path.IsPathRooted(relative) || relative.Split('/').Contains("..")) return $"{EntryFile} lists a bad path";
            var path = Path.Combine(folder, relative);
            if (!File.Exists(path)) return $"{relative} is missing";
            if (new FileInfo(path).Length != file!["bytes"]?.GetValue<long>()) return $"{relative} has the wrong size";
            if (FileHash.Sha256(path) != file["sha256"]?.GetValue<string>()) return $"{relative} does not match its sha256";
            names.Add(relative);
        }
        var extra = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .FirstOrDefault(f => f != EntryFile && !names.Contains(f));
        if (extra is not null) return $"{extra} is not listed in {EntryFile}";
        files = names;
        return null;
    }

    /// <summary>entry.json as written, or null when it is missing or not JSON.</summary>
    public static JsonObject? Read(string folder)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(folder, EntryFile))) as JsonObject;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Records that the entry was used now (for least-recently-used pruning).</summary>
    public static void Touch(string folder)
    {
        if (Read(folder) is not { } entry) return;
        entry["lastUsed"] = Now();
        AtomicFile.WriteAllText(Path.Combine(folder, EntryFile), entry.ToJsonString(Indented) + "\n");
    }

    /// <summary>Whether a name in a step folder is a staging folder (of a run that may still be filling it).</summary>
    public static bool IsStaging(string name) => name.StartsWith('.') && name.EndsWith(StagingSuffix, StringComparison.Ordinal);

    /// <summary>The process id in a staging folder's name (.KEY.PID.GUID.tmp), when it has one.</summary>
    public static int? StagingProcess(string name)
    {
        var parts = name.Split('.');
        return parts.Length == 5 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    public static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
