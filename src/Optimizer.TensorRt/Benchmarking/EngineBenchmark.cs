using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Running;

namespace Optimizer.TensorRt.Benchmarking;

/// <summary>What trtexec measured when it ran an engine.</summary>
public sealed record EngineBenchmarkResult(string EnginePath, PerformanceSummary Summary, TrtexecLog Log, IReadOnlyList<string> Flags,
    IReadOnlyList<double> LatenciesMs);

/// <summary>
/// Runs a built engine with trtexec (<c>--loadEngine</c>) and reads its performance summary. Dynamic engines need
/// <c>--shapes</c> (given as <see cref="BuildSettings.Shapes"/>); the inference loop options are passed as set.
/// </summary>
public static class EngineBenchmark
{
    public static async Task<EngineBenchmarkResult> RunAsync(string trtexec, string enginePath, BuildSettings settings, string? logPath,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(enginePath)) throw new InvalidInputException($"engine not found: {enginePath}");
        var flags = new List<(string Arg, string Identity)> { ($"--loadEngine={Path.GetFullPath(enginePath)}", "--loadEngine={model.plan}") };
        if (settings.Shapes.Shapes is { } shapes) flags.Add(($"--shapes={shapes}", $"--shapes={shapes}"));
        var times = Path.Combine(Path.GetTempPath(), $"optimizer-times-{Guid.NewGuid():N}.json");
        flags.Add(($"--exportTimes={times}", "--exportTimes={times.json}"));
        flags.Add(($"--device={settings.Device}", $"--device={settings.Device}"));
        flags.AddRange(FlagBuilder.InferenceFlags(settings));
        var args = FlagBuilder.WithPassThrough(flags, settings.ExtraArgs, []).Args;
        var parser = new LogParser();
        StreamWriter? writer = logPath is null ? null : new StreamWriter(logPath, append: false) { AutoFlush = true };
        ProcessResult run;
        try
        {
            writer?.WriteLine($"# {trtexec} {string.Join(' ', args)}");
            run = await ProcessRunner.RunAsync(trtexec, args, line => { writer?.WriteLine(line.Raw); parser.Add(line); }, timeout, cancellationToken);
        }
        finally
        {
            if (writer is not null) await writer.DisposeAsync();
        }
        try
        {
            var log = parser.Result();
            if (run.TimedOut || run.ExitCode != 0 || !log.Passed || log.Summary is null)
                throw BuildFailure.Describe(run, log, logPath ?? "(not kept)", timeout, "performance summary");
            return new EngineBenchmarkResult(enginePath, log.Summary, log, args, File.Exists(times) ? TimesFile.ReadLatencies(times) : []);
        }
        finally
        {
            File.Delete(times);
        }
    }
}
