using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Caching;

/// <summary>
/// The key of one step's result: sha256 over a canonical text of the step's name, the tool's version, the sha256 of
/// every input file's bytes and the options that decide the step. Paths never enter the text: a path in the options
/// is replaced by its content's hash (a folder's: its files' relative paths and hashes, in ordinal order), so the same
/// inputs anywhere on any machine give the same key. The paths seen are kept (<see cref="Paths"/>) so that text the
/// step wrote can name the current run's files when its result is restored.
/// </summary>
public sealed class CacheKey
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Role, string Path)> _paths = [];

    public CacheKey(string step)
    {
        Step = step;
        Line("step", step).Line("tool", VersionText.Line).Line("build", Build);
    }

    /// <summary>
    /// The build of the tool's own code: the module ids of its assemblies, which a deterministic build derives from
    /// their content, so a changed pass or option misses the cache even when the version number stays the same.
    /// </summary>
    public static string Build { get; } = string.Join(",",
        new[] { typeof(CacheKey), typeof(Onnx.IR.Model), typeof(Passes.Infrastructure.PassContext), typeof(Runtime.Calibration.CalibrationTable) }
            .Select(t => t.Assembly.ManifestModule.ModuleVersionId.ToString("N")));

    public string Step { get; }

    /// <summary>What the key stands for, for <c>optimize cache list</c> (entry.json's summary).</summary>
    public JsonObject Summary { get; } = new();

    /// <summary>The paths the inputs were read from, by role (the longest first: a folder's files after the folder's own).</summary>
    public IReadOnlyList<(string Role, string Path)> Paths => _paths.OrderByDescending(p => p.Path.Length).ToList();

    /// <summary>The canonical text the key hashes (one "name=value" line each).</summary>
    public string Text => _text.ToString();

    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_text.ToString())));

    public CacheKey Line(string name, string value)
    {
        _text.Append(name).Append('=').Append(value.ReplaceLineEndings(" ")).Append('\n');
        return this;
    }

    /// <summary>A file or a folder (data) by its content.</summary>
    public CacheKey Content(string role, string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        _paths.Add((role, full));
        return Line(role, ContentHash(full));
    }

    /// <summary>
    /// An option record as JSON, with every path in it (a property's absolute path to a file or folder that exists)
    /// replaced by its content's hash and remembered under its JSON path as a role. Strings in lists are names (node
    /// names, passes), kept as they are even when they look like paths ("/features/0/Conv"). Object keys keep the
    /// record's declaration order, which is fixed.
    /// </summary>
    public CacheKey Options(string role, JsonNode? options)
    {
        var canonical = Canonical(role, options, inList: false);
        return Line(role, canonical?.ToJsonString() ?? "null");
    }

    private JsonNode? Canonical(string at, JsonNode? node, bool inList)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, value) in obj) copy[name] = Canonical($"{at}.{name}", value, inList: false);
                return copy;
            case JsonArray array:
                var items = new JsonArray();
                for (var i = 0; i < array.Count; i++) items.Add(Canonical($"{at}[{i}]", array[i], inList: true));
                return items;
            case JsonValue value when !inList && value.TryGetValue<string>(out var text) && System.IO.Path.IsPathRooted(text)
                                      && (File.Exists(text) || Directory.Exists(text)):
                _paths.Add((at, text));
                return "sha256:" + ContentHash(text);
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>A file's sha256, or a folder's (<see cref="FileHash.FolderSha256"/>); "absent" for neither.</summary>
    public static string ContentHash(string path) =>
        File.Exists(path) ? FileHash.Sha256(path) : Directory.Exists(path) ? FileHash.FolderSha256(path) : "absent";
}
