using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Output;

/// <summary>
/// OUT/manifest.json: the tool version, the options, and the sha256 of the input and of every output, so a CI job
/// can tell whether an artifact came from the same inputs. Each command adds its own section; an existing manifest
/// in the folder is extended, not replaced.
/// </summary>
public sealed class Manifest
{
    public const string FileName = "manifest.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly JsonObject _root;
    private readonly string _path;

    private Manifest(string path, JsonObject root)
    {
        _path = path;
        _root = root;
    }

    public static Manifest LoadOrCreate(string outDir)
    {
        var path = Path.Combine(outDir, FileName);
        JsonObject root;
        try
        {
            root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? new JsonObject() : new JsonObject();
        }
        catch (JsonException)
        {
            root = new JsonObject();
        }
        root["tool"] = new JsonObject { ["name"] = "optimize", ["version"] = ToolVersion, ["flavour"] = Runtime.Sessions.BuildFlavour.Name };
        return new Manifest(path, root);
    }

    public static string ToolVersion =>
        typeof(Manifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Manifest).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Records a file under <c>files.&lt;role&gt;</c> with its path (relative to OUT when inside it), size and sha256.</summary>
    public void AddFile(string role, string path)
    {
        var files = _root["files"] as JsonObject ?? new JsonObject();
        _root["files"] = files;
        var full = Path.GetFullPath(path);
        var outDir = Path.GetDirectoryName(Path.GetFullPath(_path))!;
        var shown = full.StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(outDir, full) : full;
        files[role] = new JsonObject { ["path"] = shown, ["bytes"] = new FileInfo(full).Length, ["sha256"] = FileHash.Sha256(full) };
    }

    /// <summary>The paths (as recorded: relative to OUT when inside it) of the files listed so far.</summary>
    public HashSet<string> ListedPaths() =>
        ((_root["files"] as JsonObject) ?? []).Select(f => f.Value?["path"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public void SetSection(string name, JsonNode? value) => _root[name] = value;

    public JsonNode? GetSection(string name) => _root[name];

    public void Save() => AtomicFile.WriteAllText(_path, _root.ToJsonString(Indented) + "\n");
}
