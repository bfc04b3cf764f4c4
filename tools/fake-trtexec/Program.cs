using FakeTrtexec;

// A test double of NVIDIA's trtexec (see ../../../shared/TRTEXEC.md and FakeSettings for how tests configure it).
FakeSettings settings;
try
{
    settings = FakeSettings.Load();
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
var version = settings.Version;
var log = new Log(version.TestName, string.Join(' ', new[] { Environment.ProcessPath ?? "trtexec" }.Concat(args)));
log.Running();

var map = new ArgumentMap(args);
if (map.Contains("--help") || map.Contains("-h"))
{
    HelpText.Print(version);
    return 0;
}
if (map.Count == 0)
{
    HelpText.Print(version);
    return log.Passed();
}
var (options, unknown) = FakeOptions.Read(version, map);
var invalid = unknown.Count > 0 ? null : options.Validate();
if (unknown.Count > 0 || invalid is not null)
{
    foreach (var (key, value) in unknown) log.Error($"Unknown option: {key} {value}");
    if (invalid is not null) log.Error(invalid);
    HelpText.Print(version);
    return log.Failed();
}
log.Verbose = options.Has("--verbose");
SystemReport.PrintOptions(options, log);
if (!SystemReport.SelectDevice(settings, options, log)) return 1;
if (options.Has("--getPlanVersionOnly") && options.LoadEngine is { } planPath && File.Exists(planPath))
{
    // printPlanVersion (during getEngineBuildEnv, after the device): the header's version bytes, then PASSED.
    var header = File.ReadAllBytes(planPath).AsSpan(0, 28).ToArray();
    log.Info($"Plan was created with TensorRT version {header[24]}.{header[25]}.{header[26]}.{header[27]}");
    return log.Passed();
}

FakePlan? plan;
if (options.LoadEngine is { } enginePath)
{
    plan = LoadEngine(enginePath);
    if (plan is null) return FailureChain.SetupFailed(log);
}
else
{
    int exitCode;
    (plan, exitCode) = EngineBuild.Run(options, settings, log);
    if (plan is null) return exitCode;
}

if (options.SkipInference)
{
    log.Info("Skipped inference phase since --skipInference is added.");
    return log.Passed();
}
log.Info("Starting inference");
var (warmup, timed) = InferenceLoop.Run(plan, options);
log.Info($"Warmup completed {warmup} queries over {CppNumber.Format(options.WarmUpMs)} ms");
log.Info($"Timing trace has {timed.Count} queries over {CppNumber.Format((timed[^1].EndD2h - timed[0].StartEnq) / 1000)} s");
if ((options.Has("--dumpProfile") || options.Has("--exportProfile")) && !options.Has("--separateProfileRun"))
{
    log.Info("The e2e network timing is not reported since it is inaccurate due to the extra synchronizations when the profiler is enabled.");
    log.Info("To show e2e network timing report, add --separateProfileRun to profile layer timing in a separate run or remove --dumpProfile to disable the profiler.");
}
else
    PerformanceReport.Print(timed, options, log);
if (options.Get("--exportTimes") is { } timesPath) PerformanceReport.ExportTimes(timesPath, timed);
if (options.Has("--dumpProfile") || options.Has("--exportProfile")) LayerProfile.Report(plan, options, timed.Count, log);
return log.Passed();

FakePlan? LoadEngine(string path)
{
    if (!File.Exists(path))
    {
        log.Error($"Error opening engine file: {path}");
        return null;
    }
    var (loaded, error) = FakePlan.Deserialize(File.ReadAllBytes(path), version);
    if (loaded is null)
    {
        log.Error(error!);
        return null;
    }
    log.Info($"Engine loaded in {CppNumber.Format(0.002 + loaded.Size / 2e9)} sec.");
    if (version.Major >= 10) log.Info($"Loaded engine with size: {CppNumber.Format(loaded.Size / 1048576.0)} MiB");
    log.Info($"Engine deserialized in {CppNumber.Format(0.01 + loaded.Size / 4e9)} sec.");
    return loaded;
}
