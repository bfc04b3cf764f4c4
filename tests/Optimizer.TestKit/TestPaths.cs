namespace Optimizer.TestKit;

/// <summary>Where tests find the real models: ../shared/models beside the checkout, and ONNX's backend test suite.</summary>
public static class TestPaths
{
    /// <summary>The checkout's root (the folder holding Optimizer.sln).</summary>
    public static string RepoRoot { get; } = FindUp("Optimizer.sln") ?? throw new InvalidOperationException("cannot find Optimizer.sln above the test binaries");

    /// <summary>../shared/models beside the checkout (override with OPTIMIZER_SHARED_MODELS).</summary>
    public static string SharedModels =>
        Environment.GetEnvironmentVariable("OPTIMIZER_SHARED_MODELS") is { Length: > 0 } env ? env
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models"));

    public static string SharedModel(string fileName) => Path.Combine(SharedModels, fileName);

    /// <summary>Debian's libonnx-testdata: ONNX's own backend test suite.</summary>
    public static string OnnxBackendData => "/usr/share/libonnx-testdata/data";

    public static readonly string[] BackendSuites = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    /// <summary>The fewest backend-suite models a test run accepts (libonnx-testdata 1.14 holds 1072).</summary>
    public const int MinBackendModels = 1000;

    /// <summary>The fewest shared models a test run accepts (../shared/models holds 8).</summary>
    public const int MinSharedModels = 8;

    /// <summary>
    /// Every model.onnx of the backend suite (the suites named by <see cref="BackendSuites"/>); fails when fewer than
    /// <see cref="MinBackendModels"/> are found, so a missing or partial suite fails the tests instead of passing them empty.
    /// </summary>
    public static IReadOnlyList<string> BackendModels()
    {
        var models = BackendSuites.Select(s => Path.Combine(OnnxBackendData, s))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateDirectories(d).Order(StringComparer.Ordinal))
            .Select(d => Path.Combine(d, "model.onnx"))
            .Where(File.Exists)
            .ToList();
        if (models.Count < MinBackendModels)
            throw new InvalidOperationException($"only {models.Count} backend-suite models under {OnnxBackendData} (expected at least {MinBackendModels}; Debian package libonnx-testdata)");
        return models;
    }

    /// <summary>The shared models; fails when fewer than <see cref="MinSharedModels"/> are found (an empty folder must not pass).</summary>
    public static IReadOnlyList<string> SharedModelFiles()
    {
        var models = Directory.Exists(SharedModels)
            ? Directory.EnumerateFiles(SharedModels, "*.onnx").Order(StringComparer.Ordinal).ToList()
            : [];
        if (models.Count < MinSharedModels)
            throw new InvalidOperationException($"only {models.Count} shared models under {SharedModels} (expected at least {MinSharedModels})");
        return models;
    }

    /// <summary>A new empty folder under the system temp folder, deleted by <see cref="TempDir.Dispose"/>.</summary>
    public static TempDir NewTempDir() => new();

    private static TempDir? _cacheDir;

    /// <summary>
    /// Points OPTIMIZER_CACHE_DIR, where TensorRT timing caches go when no cache folder is given, at a folder of this
    /// test process's own (deleted when the process exits), so no test writes into the user's home folder or shares
    /// caches with another run. Called from each test assembly's module initializer; returns the folder.
    /// </summary>
    public static string UseOwnCacheFolder()
    {
        lock (typeof(TestPaths))
        {
            if (_cacheDir is null)
            {
                _cacheDir = new TempDir();
                Environment.SetEnvironmentVariable("OPTIMIZER_CACHE_DIR", _cacheDir.Path);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _cacheDir.Dispose();
            }
            return _cacheDir.Path;
        }
    }

    private static string? FindUp(string marker)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, marker))) return dir.FullName;
        return null;
    }
}

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "optimizer-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
