using System.CommandLine;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Benchmark.Profiling;

namespace Optimizer.Cli.Commands;

/// <summary>
/// bench --profile [--profile-runs N]: after the timed runs, a separate profiled run (the warm-up, then N runs) of the
/// model, and with --baseline of both models; the combinations that make no sense are refused (exit 2).
/// </summary>
public sealed class BenchProfileOptions
{
    public Option<bool> Profile { get; } = new("--profile")
    {
        Description = "Also show where the time goes: ONNX Runtime's profiler per node and op type (time, share, calls), in a separate run after the timed ones, at the first --batch size (for --engine: trtexec's per-layer profile).",
    };
    public Option<int?> Runs { get; } = new("--profile-runs") { HelpName = "N", Description = "With --profile: profiled runs after the warm-up (default 20)." };

    public void AddTo(Command command)
    {
        command.Add(Profile);
        command.Add(Runs);
    }

    /// <summary>The number of profiled runs, or null without --profile; refuses what does not go with it.</summary>
    public int? Parse(ParseResult parse, bool search, bool concurrency, bool overhead, bool engine)
    {
        var runs = parse.GetValue(Runs);
        if (!parse.GetValue(Profile))
            return runs is null ? null : throw new InvalidInputException("--profile-runs goes with --profile (it is how many runs are profiled)");
        if (engine && runs is not null)
            throw new InvalidInputException("--profile-runs does not go with --engine: trtexec's profile run follows its own iterations and --duration");
        if (runs is <= 0) throw new InvalidInputException("--profile-runs must be 1 or more");
        if (search) throw new InvalidInputException("--profile does not go with --batch auto: profile the batch size the search chose, with --batch N");
        if (concurrency) throw new InvalidInputException("--profile does not go with --concurrency: the profiler times one run at a time");
        if (overhead) throw new InvalidInputException("--profile does not go with --measure-overhead (each checks its own run of the model)");
        return runs ?? 20;
    }

    public static ModelProfile RunOrt(BenchOptions options, int runs, TextWriter stderr, CancellationToken cancel) =>
        BenchProgressDisplay.Run<BenchProgress, ModelProfile>(stderr,
            p => ($"{Path.GetFileName(options.ModelPath)} batch {p.BatchSize}: {p.Phase}", p.Done, p.Total), progress => OrtProfiler.Run(options, runs, progress, cancel));

    /// <summary>Both models profiled in alternating rounds, with the same settings and inputs, op types side by side.</summary>
    public static ProfileComparison RunBoth(BenchOptions candidate, string baseline, int runs, TextWriter stderr, CancellationToken cancel) =>
        BenchProgressDisplay.Run<BenchProgress, ProfileComparison>(stderr,
            p => ($"both models batch {p.BatchSize}: {p.Phase}", p.Done, p.Total), progress => OrtProfiler.RunPair(candidate, baseline, runs, progress, cancel));
}
