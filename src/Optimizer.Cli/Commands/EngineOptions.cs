using System.CommandLine;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The engine options, shared by <c>optimize engine MODEL</c> and the root command's <c>--engine</c> step. On the root
/// command the build options carry an <c>--engine-</c> prefix (<c>--engine-shapes</c>, <c>--engine-precision</c>…) so
/// they cannot collide with the pipeline's own options; <c>--trtexec</c>, <c>--trtexec-arg</c>,
/// <c>--engine-cache</c> and <c>--require-int8</c> are spelled the same on both.
/// Usage from a command: <c>var engine = new EngineOptions(forRoot: true); engine.AddTo(root);</c> and, after the
/// ONNX model is written, <c>if (engine.IsRequested(parse)) return await engine.RunAsync(parse, onnx, outDir, cancel);</c>.
/// </summary>
public sealed class EngineOptions
{
    private readonly bool _forRoot;

    public EngineOptions(bool forRoot)
    {
        _forRoot = forRoot;
        string Name(string name) => forRoot ? "--engine-" + name : "--" + name;
        Precision = new(Name("precision")) { HelpName = "auto|fp16|bf16|int8|best", Description = "auto (from the model: FP16 tensors, Q/DQ), fp16, bf16, int8 or best. TensorRT 11 accepts only auto. [default: auto]" };
        Shapes = new(Name("shapes")) { HelpName = "NAME:DIMS,...", Description = "Fixed shapes for dynamic inputs (min = opt = max), e.g. input:1x3x224x224,mask:1x128." };
        MinShapes = new(Name("min-shapes")) { HelpName = "NAME:DIMS,...", Description = "Smallest shapes of the optimization profile (same syntax as --shapes)." };
        OptShapes = new(Name("opt-shapes")) { HelpName = "NAME:DIMS,...", Description = "Shapes the engine is tuned for." };
        MaxShapes = new(Name("max-shapes")) { HelpName = "NAME:DIMS,...", Description = "Largest shapes of the optimization profile." };
        Workspace = new(Name("workspace")) { HelpName = "MiB", Description = "Builder workspace limit in MiB (--memPoolSize=workspace:N)." };
        OptimizationLevel = new(Name("optimization-level")) { HelpName = "0-5", Description = "Builder optimization level 0-5 (TensorRT's default: 3)." };
        Device = new(Name("device")) { HelpName = "N", Description = "CUDA device id.", DefaultValueFactory = _ => 0 };
        Iterations = new(Name("iterations")) { HelpName = "N", Description = "Minimum timed inference queries after the build (trtexec's default: 10)." };
        Duration = new(Name("duration")) { HelpName = "SECONDS", Description = "Minimum seconds of timed inference after the build (trtexec's default: 3)." };
        SkipInference = new(Name("skip-inference")) { Description = "Only build; do not measure the engine." };
        Timeout = new(Name("timeout")) { HelpName = "SECONDS", Description = "Stop trtexec after this many seconds (default: no limit)." };
        CalibrationCache = new(Name("calibration-cache")) { HelpName = "FILE", Description = "TensorRT calibration cache for implicit INT8 on TensorRT 8.x (default: OUT/calibration.cache when present)." };
    }

    public Option<bool> Engine { get; } = new("--engine") { Description = "Also build a TensorRT engine with trtexec (OUT/model.plan)." };
    /// <summary>Where trtexec is looked for (TrtexecLocator's order), said the same way by every command that runs it.</summary>
    public const string TrtexecLookup = "default: $TRTEXEC, then PATH, then /usr/src/tensorrt/bin and /opt/tensorrt/bin";

    public Option<string?> Trtexec { get; } = new("--trtexec") { HelpName = "PATH", Description = $"Path of trtexec ({TrtexecLookup})." };
    public Option<string[]> TrtexecArgs { get; } = new("--trtexec-arg") { HelpName = "--FLAG[=VALUE]", Description = "An extra trtexec option passed as is, e.g. --trtexec-arg=--useCudaGraph (repeatable).", AllowMultipleArgumentsPerToken = false };
    public Option<DirectoryInfo?> EngineCache { get; } = new("--engine-cache") { HelpName = "DIR", Description = "Reuse engines built from the same model, flags, TensorRT version and GPU; also holds timing caches." };
    public Option<bool> RequireInt8 { get; } = new("--require-int8") { Description = "Fail (exit 1) when quantized layers of a Q/DQ model fell back to FP16/FP32." };
    public Option<EnginePrecision> Precision { get; }
    public Option<string?> Shapes { get; }
    public Option<string?> MinShapes { get; }
    public Option<string?> OptShapes { get; }
    public Option<string?> MaxShapes { get; }
    public Option<int?> Workspace { get; }
    public Option<int?> OptimizationLevel { get; }
    public Option<int> Device { get; }
    public Option<int?> Iterations { get; }
    public Option<double?> Duration { get; }
    public Option<bool> SkipInference { get; }
    public Option<double?> Timeout { get; }
    public Option<FileInfo?> CalibrationCache { get; }

    public void AddTo(Command command)
    {
        if (_forRoot) command.Add(Engine);
        foreach (var option in new Option[] { Trtexec, TrtexecArgs, EngineCache, RequireInt8, Precision, Shapes, MinShapes, OptShapes, MaxShapes,
                     Workspace, OptimizationLevel, Device, Iterations, Duration, SkipInference, Timeout, CalibrationCache })
            command.Add(option);
    }

    /// <summary>True when an engine should be built (always for <c>optimize engine</c>; with --engine on the root).</summary>
    public bool IsRequested(ParseResult parse) => !_forRoot || parse.GetValue(Engine);

    /// <summary>
    /// Builds the engine for <paramref name="onnxPath"/> into <paramref name="outDir"/> and records it in the manifest;
    /// returns the exit code. <paramref name="printSummary"/> false keeps stdout free (for a command printing JSON).
    /// </summary>
    public Task<int> RunAsync(ParseResult parse, string onnxPath, string outDir, CancellationToken cancellationToken, bool printSummary = true) =>
        EngineRun.RunAsync(Read(parse, onnxPath, outDir) with { PrintSummary = printSummary },
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);

    /// <summary>Numbers trtexec would refuse (or misread) are usage errors here, before anything runs.</summary>
    private static int? InRange(int? value, Option option, int min, int max, string expected) =>
        value is not { } v || (v >= min && v <= max) ? value : throw new InvalidInputException($"{option.Name} must be {expected}, not {v}");

    internal EngineRunOptions Read(ParseResult parse, string onnxPath, string outDir) => new()
    {
        OnnxPath = onnxPath,
        OutDir = outDir,
        Trtexec = parse.GetValue(Trtexec),
        EngineCache = parse.GetValue(EngineCache)?.FullName,
        RequireInt8 = parse.GetValue(RequireInt8),
        Timeout = parse.GetValue(Timeout) is { } s ? s > 0 ? TimeSpan.FromSeconds(s) : throw new InvalidInputException($"{Timeout.Name} must be positive") : null,
        CalibrationCache = parse.GetValue(CalibrationCache)?.FullName,
        ShapesOption = Shapes.Name,
        Settings = new BuildSettings
        {
            Precision = parse.GetValue(Precision),
            Shapes = new ShapeRequest(parse.GetValue(Shapes), parse.GetValue(MinShapes), parse.GetValue(OptShapes), parse.GetValue(MaxShapes)),
            Device = InRange(parse.GetValue(Device), Device, 0, int.MaxValue, "0 or more")!.Value,
            WorkspaceMiB = InRange(parse.GetValue(Workspace), Workspace, 1, int.MaxValue, "a positive number of MiB"),
            OptimizationLevel = InRange(parse.GetValue(OptimizationLevel), OptimizationLevel, 0, 5, "0 to 5"),
            Iterations = parse.GetValue(Iterations),
            DurationSeconds = parse.GetValue(Duration),
            SkipInference = parse.GetValue(SkipInference),
            ExtraArgs = parse.GetValue(TrtexecArgs) ?? [],
        },
    };
}
