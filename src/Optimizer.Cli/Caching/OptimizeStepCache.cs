using System.Text.Json;
using System.Text.Json.Nodes;
using Optimizer.Cli.Output;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;

namespace Optimizer.Cli.Caching;

/// <summary>
/// The optimize step's result in the cache: every file it writes into OUT (model.onnx and its data, calibration.json and
/// .cache, plots, report.json/md, the manifest so far) and what it prints, keyed by the input model's bytes (and its
/// external data), every option that shapes the model and, when an accuracy budget steers quantization or pruning, the
/// --validate data and gates. Paths in the text it wrote are kept as placeholders of their role, so a restored report
/// names this run's files.
/// </summary>
public sealed class OptimizeStepCache
{
    public const string Step = "optimize";
    private const string OutFolder = "out";
    private const string StdoutText = "stdout.txt";
    private const string StdoutJson = "stdout.json";
    private const string OutRole = "out";

    private readonly StepCache _cache;
    private readonly OptimizeOptions _options;
    private readonly Model _input;

    private OptimizeStepCache(StepCache cache, OptimizeOptions options, Model input, CacheKey key)
    {
        _cache = cache;
        _options = options;
        _input = input;
        Key = key;
    }

    public CacheKey Key { get; }

    /// <summary>The step's key for this run; null without a cache.</summary>
    public static OptimizeStepCache? Open(OptimizeOptions options, PipelineValidation? validation)
    {
        if (options.Cache is not { } cache) return null;
        var model = ModelReader.Read(options.ModelPath);
        var key = new CacheKey(Step).Content("model", options.ModelPath);
        var external = model.AllGraphs().SelectMany(g => g.Initializers).Select(v => v.Initializer!.Data).OfType<ExternalTensorData>()
            .Select(e => Path.GetFullPath(e.Path)).Distinct().Order(StringComparer.Ordinal);
        foreach (var file in external) key.Content("modelData:" + Path.GetFileName(file), file);
        var shaping = JsonNode.Parse(Json.Serialize(options))!.AsObject();
        // Not what the model becomes: where it is read from and written to, how the run prints, what is written after it.
        foreach (var name in new[] { "modelPath", "outDir", "json", "triton" }) shaping.Remove(name);
        key.Options("options", shaping);
        if (validation is not null && (options.Quantize is not null || options.Prune is not null))
            key.Options("validation", new JsonObject
            {
                ["data"] = validation.DataDir,
                ["gates"] = new JsonArray(validation.Gates.Select(g => (JsonNode)g.Condition).ToArray()),
                // a budget judged on the samples streamed keeps other nodes float than one judged sample by sample
                ["feed-back"] = validation.FeedBack.Count == 0 ? null : string.Join(",", validation.FeedBack),
            });
        key.Summary["model"] = Path.GetFileName(options.ModelPath);
        key.Summary["options"] = Describe(shaping);
        return new OptimizeStepCache(cache, options, model, key);
    }

    /// <summary>
    /// On a hit: runs <paramref name="beforeWrite"/> on the cached model, copies the entry's files into the staging
    /// folder and prints what the step printed; false on a miss (nothing done).
    /// </summary>
    public bool TryRestore(OutputTransaction output, Action<Model>? beforeWrite, TextWriter stdout, CancellationToken cancel)
    {
        if (_cache.Lookup(Key) is not { } folder) return false;
        var files = Path.Combine(folder, OutFolder);
        beforeWrite?.Invoke(ModelReader.Read(Path.Combine(files, OptimizeRunner.ModelFileName)));
        OptimizeRunner.RefuseWritingOverInput(_input, _options.OutDir);
        var outDir = output.Open(cancel);
        var paths = Paths(outDir);
        foreach (var relative in Directory.EnumerateFiles(files, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(files, f)))
        {
            var source = Path.Combine(files, relative);
            var destination = Path.Combine(outDir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            if (IsText(relative)) AtomicFile.WriteAllText(destination, Fill(File.ReadAllText(source), paths, IsJson(relative)));
            else AtomicFile.CopyFrom(source, destination);
        }
        var printed = _options.Json ? StdoutJson : StdoutText;
        stdout.Write(Fill(File.ReadAllText(Path.Combine(folder, printed)), paths, _options.Json));
        return true;
    }

    /// <summary>Stores what the step wrote into <paramref name="outDir"/> (the staging folder) and printed; records
    /// the run's step keys in the manifest first.</summary>
    public void Store(string outDir, string summary, string json)
    {
        var manifest = Manifest.LoadOrCreate(outDir);
        manifest.SetSection("cache", new JsonObject(_cache.Keys.Select(k => KeyValuePair.Create(k.Key, (JsonNode?)k.Value))));
        manifest.Save();
        var paths = Paths(outDir);
        _cache.Store(Key, entry =>
        {
            foreach (var relative in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(outDir, f))
                         .Where(r => !r.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'))))
            {
                var destination = Path.Combine(entry, OutFolder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                if (IsText(relative)) File.WriteAllText(destination, Hollow(File.ReadAllText(Path.Combine(outDir, relative)), paths));
                else File.Copy(Path.Combine(outDir, relative), destination);
            }
            File.WriteAllText(Path.Combine(entry, StdoutText), Hollow(summary, paths));
            File.WriteAllText(Path.Combine(entry, StdoutJson), Hollow(json, paths));
        });
    }

    private List<(string Role, string Path)> Paths(string outDir) => Paths(Key, outDir);

    /// <summary>The paths a step's text may name, the longest first: its inputs' (by role) and the run's OUT staging folder.</summary>
    internal static List<(string Role, string Path)> Paths(CacheKey key, string outDir) =>
        key.Paths.Append((OutRole, Path.GetFullPath(outDir))).OrderByDescending(p => p.Item2.Length).ToList();

    internal static string Placeholder(string role) => $"@@cache:{role}@@";

    /// <summary>Replaces the run's paths (as written, and as JSON strings) by placeholders of their role.</summary>
    internal static string Hollow(string text, IEnumerable<(string Role, string Path)> paths)
    {
        foreach (var (role, path) in paths)
        {
            text = text.Replace(path, Placeholder(role), StringComparison.Ordinal);
            var escaped = JsonEncodedText.Encode(path).ToString();
            if (escaped != path) text = text.Replace(escaped, Placeholder(role), StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Puts this run's paths in place of the placeholders.</summary>
    internal static string Fill(string text, IEnumerable<(string Role, string Path)> paths, bool json)
    {
        foreach (var (role, path) in paths)
            text = text.Replace(Placeholder(role), json ? JsonEncodedText.Encode(path).ToString() : path, StringComparison.Ordinal);
        return text;
    }

    private static bool IsJson(string name) => name.EndsWith(".json", StringComparison.Ordinal);

    private static bool IsText(string name) => IsJson(name) || name.EndsWith(".md", StringComparison.Ordinal);

    /// <summary>The options that were set, in one line ("quantize.mode=int8 ..."), for <c>optimize cache list</c>.</summary>
    private static string Describe(JsonObject options)
    {
        var parts = new List<string>();
        void Walk(string at, JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj) Walk(at == "" ? name : $"{at}.{name}", value);
                    break;
                case null:
                    break;
                case JsonValue v when v.TryGetValue<bool>(out var b) && !b:
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s):
                    parts.Add($"{at}={(Path.IsPathRooted(s) ? Path.GetFileName(s) : s)}");
                    break;
                case JsonArray { Count: 0 }:
                    break;
                default:
                    parts.Add($"{at}={node.ToJsonString()}");
                    break;
            }
        }
        // The derived session settings repeat --provider.
        foreach (var (name, value) in options.Where(o => o.Key is not ("comparisonSession" or "speedSession"))) Walk(name, value);
        return string.Join(" ", parts);
    }
}
