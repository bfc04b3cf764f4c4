using Optimizer.Onnx.IO;
using Optimizer.TensorRt.Caching;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Probing;
using Optimizer.TensorRt.Running;

namespace Optimizer.TensorRt.Engines;

/// <summary>
/// Builds a TensorRT engine with trtexec: probe the version and GPU, build the flags that version accepts, reuse a
/// cached engine when one was built from the same inputs, else run trtexec while streaming its log to
/// OUT/trtexec.log. OUT/model.plan appears only after a successful build (trtexec writes a temporary file in OUT that
/// is renamed at the end).
/// </summary>
public static class EngineBuilder
{
    public const string EngineFile = "model.plan", LogFile = "trtexec.log", LayerFile = "layers.json", TimesFile = "times.json";

    public static async Task<EngineBuildResult> BuildAsync(EngineBuildRequest request, CancellationToken cancellationToken)
    {
        var outDir = Path.GetFullPath(request.OutDir);
        Directory.CreateDirectory(outDir);
        var probe = await TrtexecProbe.RunAsync(request.Trtexec, request.Settings.Device, cancellationToken);
        var cacheRoot = request.CacheRoot ?? request.EngineCacheDir ?? EngineCache.DefaultRoot();
        var timingCache = EngineCache.TimingCachePath(cacheRoot, probe.Version, probe.Gpu);
        Directory.CreateDirectory(Path.GetDirectoryName(timingCache)!);
        var tempEngine = Path.Combine(outDir, $".{EngineFile}.{Guid.NewGuid():N}.partial");
        var paths = new BuildPaths(Path.GetFullPath(request.OnnxPath), tempEngine, Path.Combine(outDir, LayerFile),
            Path.Combine(outDir, TimesFile), timingCache, request.CalibrationCache);
        var flags = FlagBuilder.Build(probe.Version, request.Model, request.Settings, paths);
        var warnings = flags.Warnings.ToList();
        var onnxSha = FileHash.Sha256(request.OnnxPath);
        var calibrationSha = flags.Args.Any(a => a.StartsWith("--calib=", StringComparison.Ordinal)) ? FileHash.Sha256(request.CalibrationCache!) : null;
        var cache = request.EngineCacheDir is null ? null : new EngineCache(request.EngineCacheDir);
        var key = probe.Gpu is null ? null : EngineCache.Key(onnxSha, calibrationSha, flags.Identity, probe.Version, probe.Gpu);
        if (cache is not null && key is null) warnings.Add("trtexec did not report the GPU, so the engine cache is not used for this build.");

        var enginePath = Path.Combine(outDir, EngineFile);
        var logPath = Path.Combine(outDir, LogFile);
        // An engine left from an earlier build must not pass for this one if this one fails.
        foreach (var stale in new[] { EngineFile, LayerFile, TimesFile }) File.Delete(Path.Combine(outDir, stale));
        string? corrupt = null;
        var fromCache = cache is not null && key is not null && cache.TryRestore(key, outDir, out corrupt);
        if (corrupt is not null) warnings.Add($"the engine cache's entry {key![..12]} was corrupt ({corrupt}); it was deleted and the engine is built again");
        TrtexecLog log;
        if (fromCache)
        {
            log = LogParser.ParseAll(File.ReadLines(logPath).Select(l => LogLine.Parse(OutputStream.Stdout, l)));
        }
        else
        {
            try
            {
                log = await RunAsync(request, flags.Args, logPath, cancellationToken);
                File.Move(tempEngine, enginePath, overwrite: true); // same folder: an atomic rename, as AtomicFile does
            }
            finally
            {
                if (File.Exists(tempEngine)) File.Delete(tempEngine);
            }
            if (cache is not null && key is not null)
                cache.Store(key, EngineCache.EntryFiles.ToDictionary(n => n, n => Path.Combine(outDir, n)), request.SourceName ?? Path.GetFileName(request.OnnxPath),
                    $"tensorrt={probe.Version.WithBuild} gpu={probe.Gpu!.Name} " + string.Join(" ", flags.Identity.Where(f => !f.StartsWith("--timingCacheFile=", StringComparison.Ordinal))));
        }
        var layerPath = Path.Combine(outDir, LayerFile);
        var layers = File.Exists(layerPath) ? LayerPrecisionReport.Read(layerPath, request.Model.QuantizedNodes) : null;
        return new EngineBuildResult(enginePath, logPath, onnxSha, FileHash.Sha256(enginePath), log.Version ?? probe.Version,
            log.Gpu ?? probe.Gpu, flags.Args, flags.Identity, key, fromCache, log, layers, warnings, request.Trtexec);
    }

    /// <summary>Runs trtexec, streaming its output to the log file, and fails unless it passed and wrote the engine.</summary>
    private static async Task<TrtexecLog> RunAsync(EngineBuildRequest request, IReadOnlyList<string> args, string logPath, CancellationToken cancellationToken)
    {
        var parser = new LogParser();
        if (request.OnPhase is { } onPhase) parser.PhaseChanged += onPhase;
        ProcessResult run;
        await using (var writer = new StreamWriter(logPath, append: false) { AutoFlush = true })
        {
            await writer.WriteLineAsync($"# {request.Trtexec} {string.Join(' ', args)}");
            run = await ProcessRunner.RunAsync(request.Trtexec, args, line =>
            {
                writer.WriteLine(line.Raw);
                parser.Add(line);
            }, request.Timeout, cancellationToken);
        }
        var log = parser.Result();
        var engine = args.First(a => a.StartsWith("--saveEngine=", StringComparison.Ordinal))["--saveEngine=".Length..];
        if (run.TimedOut || run.ExitCode != 0 || !log.Passed || !File.Exists(engine))
            throw BuildFailure.Describe(run, log, logPath, request.Timeout);
        return log;
    }
}
