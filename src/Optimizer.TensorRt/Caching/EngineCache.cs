using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Optimizer.Onnx.IO;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Caching;

/// <summary>
/// A folder of built engines (--engine-cache DIR), keyed by everything that decides the engine: the ONNX model's
/// sha256, the calibration cache's sha256, the flags (with the run's own paths replaced by their role), the TensorRT
/// version and build, and the GPU with its compute capability. Each entry is published whole by renaming a finished
/// folder, so a reader never sees half an entry.
/// </summary>
public sealed class EngineCache(string root)
{
    /// <summary>The files an entry holds (those present after the build); model.plan is required.</summary>
    public static readonly IReadOnlyList<string> EntryFiles = ["model.plan", "trtexec.log", "layers.json", "times.json"];

    public string Root { get; } = Path.GetFullPath(root);

    public static string Key(string onnxSha256, string? calibrationSha256, IReadOnlyList<string> flagIdentity, TensorRtVersion version, GpuInfo gpu)
    {
        var text = new StringBuilder()
            .AppendLine($"onnx={onnxSha256}")
            .AppendLine($"calibration={calibrationSha256 ?? "none"}")
            .AppendLine($"tensorrt={version.WithBuild}")
            .AppendLine($"gpu={gpu.Name}|{gpu.ComputeCapability}")
            .AppendJoin('\n', flagIdentity.Where(f => !f.StartsWith("--timingCacheFile=", StringComparison.Ordinal)));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public string EntryFolder(string key) => Path.Combine(Root, "engines", key);

    /// <summary>Copies a cached entry's files into <paramref name="outDir"/>; false when there is no entry.</summary>
    public bool TryRestore(string key, string outDir) => TryRestore(key, outDir, out _);

    /// <summary>
    /// Copies a cached entry's files into <paramref name="outDir"/> once each has been checked against the entry's
    /// entry.json; false when there is no intact entry. An entry that fails the check (or one without entry.json) is
    /// deleted, and <paramref name="problem"/> says what was wrong with it.
    /// </summary>
    public bool TryRestore(string key, string outDir, out string? problem)
    {
        var folder = EntryFolder(key);
        var files = CacheEntryFolder.Open(folder, out problem);
        if (files is null) return false;
        if (!files.Contains("model.plan"))
        {
            problem = "it has no model.plan";
            CacheEntryFolder.TryDelete(folder);
            return false;
        }
        foreach (var name in EntryFiles.Where(files.Contains))
            AtomicFile.CopyFrom(Path.Combine(folder, name), Path.Combine(outDir, name));
        CacheEntryFolder.Touch(folder);
        return true;
    }

    /// <summary>Stores the files of a finished build (those that exist) under the key, unless already there, with an
    /// entry.json of their hashes; <paramref name="model"/> and <paramref name="description"/> say what was built.</summary>
    public void Store(string key, IReadOnlyDictionary<string, string> files, string model = "model.onnx", string description = "") =>
        CacheEntryFolder.Publish(EntryFolder(key), "engines", key, new JsonObject { ["model"] = model, ["options"] = description }, staging =>
        {
            foreach (var (name, path) in files.Where(f => File.Exists(f.Value))) File.Copy(path, Path.Combine(staging, name));
        });

    /// <summary>The timing cache for one TensorRT build and GPU (it is specific to both).</summary>
    public static string TimingCachePath(string root, TensorRtVersion version, GpuInfo? gpu)
    {
        var gpuPart = gpu is null ? "unknown-gpu" : $"{gpu.Name}-sm{gpu.ComputeCapability}";
        var safe = new string($"{version.WithBuild}-{gpuPart}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        return Path.Combine(Path.GetFullPath(root), "timing", safe + ".cache");
    }

    /// <summary>Names the folder for TensorRT's caches when no folder is given (it wins over $XDG_CACHE_HOME).</summary>
    public const string CacheDirVariable = "OPTIMIZER_CACHE_DIR";

    /// <summary>
    /// Where caches live when the user gives no folder: $OPTIMIZER_CACHE_DIR itself when set, else $XDG_CACHE_HOME or
    /// ~/.cache, under optimizer/tensorrt.
    /// </summary>
    public static string DefaultRoot()
    {
        if (Environment.GetEnvironmentVariable(CacheDirVariable) is { Length: > 0 } own) return own;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "optimizer", "tensorrt");
    }
}
