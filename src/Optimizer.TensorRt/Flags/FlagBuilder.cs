using System.Globalization;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Flags;

/// <summary>
/// The trtexec command line of a build. <see cref="Args"/> is what runs; <see cref="Identity"/> is the same list with the
/// run's own file paths replaced by their role, so that two builds of the same engine have the same identity
/// (the engine cache key and the manifest use it).
/// </summary>
public sealed record BuildFlags(IReadOnlyList<string> Args, IReadOnlyList<string> Identity, IReadOnlyList<string> Warnings);

/// <summary>
/// Builds the flags a TensorRT release accepts. Every option is one <c>--flag=value</c> token (trtexec does not read
/// <c>--flag value</c>). User pass-through options come last and replace a generated option of the same name; the
/// options that name the files this tool reads back cannot be overridden.
/// </summary>
public static class FlagBuilder
{
    private static readonly HashSet<string> Reserved =
        ["--onnx", "--saveEngine", "--loadEngine", "--exportLayerInfo", "--exportTimes", "--profilingVerbosity"];

    public static BuildFlags Build(TensorRtVersion version, ModelFacts model, BuildSettings settings, BuildPaths paths)
    {
        var warnings = new List<string>();
        var flags = new List<(string Arg, string Identity)> { Path("--onnx", paths.Onnx, "model.onnx") };
        foreach (var flag in PrecisionFlags.For(version, model, settings.Precision, paths.CalibrationCache, warnings))
            flags.Add(flag.StartsWith("--calib=", StringComparison.Ordinal) ? Path("--calib", paths.CalibrationCache!, "calibration.cache") : (flag, flag));
        if (model.HasDynamicInputs || !settings.Shapes.IsEmpty)
            flags.AddRange(ShapeFlags(ShapeProfile.Resolve(model, settings.Shapes, warnings)));
        if (settings.WorkspaceMiB is { } mib) flags.Add(Same($"--memPoolSize=workspace:{mib}"));
        flags.Add(Path("--timingCacheFile", paths.TimingCache, "timing.cache"));
        if (settings.OptimizationLevel is { } level)
        {
            if (level is < 0 or > 5) throw new InvalidInputException($"--optimization-level must be 0 to 5, not {level}.");
            flags.Add(Same($"--builderOptimizationLevel={level}"));
        }
        flags.Add(Path("--saveEngine", paths.SaveEngine, "model.plan"));
        flags.Add(Path("--exportLayerInfo", paths.LayerInfo, "layers.json"));
        flags.Add(Same("--profilingVerbosity=detailed"));
        if (settings.SkipInference) flags.Add(Same("--skipInference"));
        else flags.Add(Path("--exportTimes", paths.Times, "times.json"));
        flags.Add(Same($"--device={settings.Device}"));
        flags.AddRange(InferenceFlags(settings));
        return WithPassThrough(flags, settings.ExtraArgs, warnings);
    }

    /// <summary>The inference loop options (iterations, duration, warm-up), when the user set them.</summary>
    public static IEnumerable<(string Arg, string Identity)> InferenceFlags(BuildSettings settings)
    {
        if (settings.Iterations is { } n) yield return Same($"--iterations={n}");
        if (settings.DurationSeconds is { } d) yield return Same($"--duration={d.ToString(CultureInfo.InvariantCulture)}");
        if (settings.WarmUpMs is { } w) yield return Same($"--warmUp={w}");
    }

    public static IEnumerable<(string Arg, string Identity)> ShapeFlags(IReadOnlyList<InputShapes> shapes)
    {
        yield return Same("--minShapes=" + ShapeProfile.ToSpec(shapes.Select(s => (s.Name, s.Min))));
        yield return Same("--optShapes=" + ShapeProfile.ToSpec(shapes.Select(s => (s.Name, s.Opt))));
        yield return Same("--maxShapes=" + ShapeProfile.ToSpec(shapes.Select(s => (s.Name, s.Max))));
    }

    public static string KeyOf(string arg) => arg.Split('=', 2)[0];

    /// <summary>Appends the user's options, each replacing a generated one with the same name.</summary>
    public static BuildFlags WithPassThrough(List<(string Arg, string Identity)> flags, IReadOnlyList<string> extra, List<string> warnings)
    {
        foreach (var arg in extra)
        {
            var key = KeyOf(arg);
            if (!arg.StartsWith("--", StringComparison.Ordinal) || key.Length <= 2)
                throw new InvalidInputException($"--trtexec-arg '{arg}': trtexec options are written --flag or --flag=value.");
            if (Reserved.Contains(key))
                throw new InvalidInputException($"--trtexec-arg '{arg}': {key} is set by the engine builder and cannot be overridden.");
            if (flags.RemoveAll(f => KeyOf(f.Arg) == key) > 0)
                warnings.Add($"--trtexec-arg {arg} replaces the builder's own {key}.");
            flags.Add(Same(arg));
        }
        return new BuildFlags(flags.Select(f => f.Arg).ToList(), flags.Select(f => f.Identity).ToList(), warnings);
    }

    private static (string, string) Same(string arg) => (arg, arg);

    private static (string, string) Path(string flag, string path, string role) => ($"{flag}={path}", $"{flag}={{{role}}}");
}
