using System.Text.Json.Nodes;
using Optimizer.Cli.Output;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Caching;

/// <summary>
/// The --validate step's result in the cache: the validation folder, the JUnit file, what it printed and its exit code,
/// keyed by the candidate's and the baseline's bytes, the data, the gates and sessions, the tool, and this machine: the
/// report's latency figures were measured here, so another machine (another CPU or core count) measures again.
/// </summary>
public sealed class ValidationStepCache
{
    public const string Step = "validate";
    private const string FilesFolder = "validation";
    private const string JUnitFile = "junit.xml";
    private const string PrintedFile = "stdout.txt";
    private const string CodeFile = "exit-code.txt";

    private readonly StepCache _cache;

    private ValidationStepCache(StepCache cache, CacheKey key)
    {
        _cache = cache;
        Key = key;
    }

    public CacheKey Key { get; }

    /// <param name="validation">What the validation compares and how, as JSON (its paths are hashed by content).</param>
    public static ValidationStepCache Open(StepCache cache, JsonNode validation, string modelName)
    {
        var key = new CacheKey(Step).Options("validation", validation).Line("machine", Machine);
        key.Summary["model"] = modelName;
        key.Summary["options"] = "validate on " + Environment.ProcessorCount + " cores";
        return new ValidationStepCache(cache, key);
    }

    /// <summary>
    /// On a hit: writes the cached validation folder into <paramref name="outDir"/> and the JUnit file, prints what the
    /// step printed and returns its exit code; null on a miss (nothing done).
    /// </summary>
    public int? TryRestore(string outDir, string folderName, string? junit, TextWriter stdout)
    {
        if (_cache.Lookup(Key) is not { } entry) return null;
        var paths = Paths(outDir);
        var files = Path.Combine(entry, FilesFolder);
        Directory.CreateDirectory(Path.Combine(outDir, folderName));
        foreach (var source in Directory.EnumerateFiles(files))
            AtomicFile.WriteAllText(Path.Combine(outDir, folderName, Path.GetFileName(source)), Filled(source, paths));
        if (junit is not null && File.Exists(Path.Combine(entry, JUnitFile))) AtomicFile.WriteAllText(junit, Filled(Path.Combine(entry, JUnitFile), paths));
        stdout.Write(Filled(Path.Combine(entry, PrintedFile), paths));
        return int.Parse(File.ReadAllText(Path.Combine(entry, CodeFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stores the validation folder the step wrote in <paramref name="outDir"/>, its JUnit file, what it printed and its code.</summary>
    public void Store(string outDir, string folderName, string? junit, string printed, int code)
    {
        var paths = Paths(outDir);
        _cache.Store(Key, entry =>
        {
            Directory.CreateDirectory(Path.Combine(entry, FilesFolder));
            foreach (var source in Directory.EnumerateFiles(Path.Combine(outDir, folderName)))
                File.WriteAllText(Path.Combine(entry, FilesFolder, Path.GetFileName(source)), OptimizeStepCache.Hollow(File.ReadAllText(source), paths));
            if (junit is not null && File.Exists(junit)) File.WriteAllText(Path.Combine(entry, JUnitFile), OptimizeStepCache.Hollow(File.ReadAllText(junit), paths));
            File.WriteAllText(Path.Combine(entry, PrintedFile), OptimizeStepCache.Hollow(printed, paths));
            File.WriteAllText(Path.Combine(entry, CodeFile), code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
    }

    /// <summary>With a cache, the validation's key joins those of the other steps in OUT's manifest.</summary>
    public void Record(string outDir)
    {
        var manifest = Manifest.LoadOrCreate(outDir);
        if (manifest.GetSection("cache") is not JsonObject keys) return;
        keys[Step] = Key.Hash;
        manifest.Save();
    }

    private List<(string Role, string Path)> Paths(string outDir) => OptimizeStepCache.Paths(Key, outDir);

    private static string Filled(string file, IEnumerable<(string Role, string Path)> paths) =>
        OptimizeStepCache.Fill(File.ReadAllText(file), paths, file.EndsWith(".json", StringComparison.Ordinal));

    /// <summary>The machine the latency figures belong to: its CPU model and the number of cores the process sees.</summary>
    private static string Machine { get; } =
        $"{CpuModel()}|{Environment.ProcessorCount} cores|{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}";

    private static string CpuModel()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown cpu"
                : "unknown cpu";
        }
        catch (IOException)
        {
            return "unknown cpu";
        }
    }
}
