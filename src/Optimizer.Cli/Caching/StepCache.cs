using System.Text.Json.Nodes;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Caching;

/// <summary>
/// <c>--cache DIR</c> (or <c>$OPTIMIZE_CACHE</c>): the results of the pipeline's steps, each under DIR/STEP/KEY/ (see
/// <see cref="CacheEntryFolder"/>), keyed by <see cref="CacheKey"/>. Every lookup says on stderr whether the step hit or
/// missed; an entry that fails its hash check is reported, deleted and rebuilt. Engines live in DIR/engines/, the
/// engine cache's own layout. One per run: it also collects the keys the run's steps were built under, for the manifest.
/// </summary>
public sealed class StepCache(string root, TextWriter stderr)
{
    /// <summary>Names the cache folder when <c>--cache</c> is not given.</summary>
    public const string Variable = "OPTIMIZE_CACHE";

    /// <summary>The step folders a cache holds (the engine cache's among them).</summary>
    public static readonly IReadOnlyList<string> Steps = ["optimize", "calibrate", "validate", EngineStep];

    public const string EngineStep = "engines";

    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The keys of the steps of this run, by step, in the order they ran.</summary>
    public IReadOnlyDictionary<string, string> Keys => _keys;

    /// <summary>--cache when given, else $OPTIMIZE_CACHE when set; null: no cache.</summary>
    public static string? Resolve(string? option) =>
        option ?? (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir ? Path.GetFullPath(dir) : null);

    public string Folder(string step, string key) => Path.Combine(Root, step, key);

    /// <summary>The intact entry of <paramref name="key"/> (its folder), or null; says which on stderr.</summary>
    public string? Lookup(CacheKey key)
    {
        var hash = key.Hash;
        _keys[key.Step] = hash;
        var folder = Folder(key.Step, hash);
        foreach (var stale in StaleStaging(key.Step, hash))
        {
            stderr.WriteLine($"cache: {key.Step} entry {Short(hash)} was left half-written by a run that stopped; deleted");
            CacheEntryFolder.TryDelete(stale);
        }
        var files = CacheEntryFolder.Open(folder, out var problem);
        if (problem is not null)
            stderr.WriteLine($"cache: {key.Step} entry {Short(hash)} is corrupt ({problem}); deleted, rebuilding it");
        if (files is null)
        {
            stderr.WriteLine($"cache: {key.Step} miss (key {Short(hash)})");
            return null;
        }
        try
        {
            CacheEntryFolder.Touch(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache others share read-only still serves; only its last-used time stays as it was.
        }
        stderr.WriteLine($"cache: {key.Step} hit (key {Short(hash)})");
        return folder;
    }

    /// <summary>Stores a step's result: <paramref name="fill"/> copies its files into the staging folder it is given.</summary>
    public void Store(CacheKey key, Action<string> fill)
    {
        try
        {
            CacheEntryFolder.Publish(Folder(key.Step, key.Hash), key.Step, key.Hash, (JsonObject)key.Summary.DeepClone(), fill);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The step's result is in OUT all the same; the cache only misses it next time.
            stderr.WriteLine($"cache: could not store the {key.Step} step's result ({Onnx.Errors.MessageText.OneLine(e.Message)}); the run goes on");
        }
    }

    private IEnumerable<string> StaleStaging(string step, string key) =>
        CacheInventory.StaleStaging(Root).Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == step && Path.GetFileName(f).StartsWith($".{key}.", StringComparison.Ordinal));

    public static string Short(string key) => key[..12] + "…";
}
