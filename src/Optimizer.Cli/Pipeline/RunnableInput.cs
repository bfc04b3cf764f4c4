using System.Collections.Concurrent;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The input model as ONNX Runtime runs it: the FP32 baseline of --validate and of the accuracy budgets, and the
/// signature calibration and validation data are read against. That is the model file itself, unless ONNX Runtime
/// cannot load it and can load it upgraded to opset <see cref="Opset"/> (the first exporters' models, opset 1-6, use
/// operator versions ONNX Runtime 1.31 has no CPU kernel left for: Add-6, Gemm-6, BatchNormalization-6,
/// AveragePool-1..., which the upgrade rewrites with the same results, LegacyOpsetUpgradeTests) or widened from half
/// precision to float32 (it has no CPU kernel for a bfloat16 Conv). The copy is a temporary file, made once per process
/// and deleted when it ends; the pipeline says so once per run.
/// </summary>
public static class RunnableInput
{
    /// <summary>The opset the copy is upgraded to (the one INT8 quantization upgrades to).</summary>
    public const long Opset = QuantizationStep.RequiredOpset;

    /// <summary>By input path, time and size: "" when ONNX Runtime loads it as it is, else the upgraded copy and why it was needed.</summary>
    private static readonly ConcurrentDictionary<string, (string Path, string Note)> Upgraded = new(StringComparer.Ordinal);

    static RunnableInput() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var (path, _) in Upgraded.Values.Where(p => p.Path != ""))
            try { File.Delete(path); } catch (IOException) { }
    };

    /// <summary>
    /// The path to run in ONNX Runtime for <paramref name="options"/>' input model (see the class); with
    /// <paramref name="stderr"/>, an upgraded copy is announced there (the pipeline asks once per run).
    /// </summary>
    public static string PathFor(OptimizeOptions options, TextWriter? stderr = null)
    {
        var input = Path.GetFullPath(options.ModelPath);
        // the same file as when it was last looked at (a run of several jobs may write a model between two)
        var file = new FileInfo(input);
        var (copy, note) = Upgraded.GetOrAdd($"{input}|{(file.Exists ? file.LastWriteTimeUtc.Ticks : 0)}|{(file.Exists ? file.Length : 0)}", _ => UpgradedIfNeeded(input));
        if (copy == "") return input;
        stderr?.WriteLine(note);
        return copy;
    }

    /// <summary>
    /// Whether the input is run upgraded (announced on <paramref name="stderr"/>); false too when ONNX Runtime cannot load
    /// it either way: a step that runs it then says why, and the others (dynamic quantization) do not need it.
    /// </summary>
    public static bool IsUpgraded(OptimizeOptions options, TextWriter? stderr)
    {
        try
        {
            return PathFor(options, stderr) != Path.GetFullPath(options.ModelPath);
        }
        catch (InvalidInputException)
        {
            return false;
        }
    }

    /// <summary>"" when ONNX Runtime loads <paramref name="path"/> as it is; else the upgraded copy's path and the note. Throws the load error when neither loads.</summary>
    private static (string Path, string Note) UpgradedIfNeeded(string path)
    {
        InvalidInputException failure;
        try
        {
            using var session = SessionFactory.Create(path, SessionSettings.ForComparison);
            return ("", "");
        }
        catch (InvalidInputException e)
        {
            failure = e;
        }
        var model = ModelReader.Read(path);
        if (model.GetOpset() is not { } opset) throw failure;
        var upgrade = opset < Opset;
        var half = Passes.Precision.WidenHalfPrecision.HalfWeightedNodes(model).Count > 0;
        if (!upgrade && !half) throw failure;
        var copy = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"optimizer-input-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            IPass[] passes = [.. upgrade ? [new UpgradeOpset()] : Array.Empty<IPass>(),
                              .. half ? Passes.Precision.WidenHalfPrecision.WithCleanup() : Array.Empty<IPass>()];
            PassRunner.Run(model, passes, new PassContext(new PassOptions { TargetOpset = Opset }));
            ModelWriter.Write(model, copy);
            using var session = SessionFactory.Create(copy, SessionSettings.ForComparison);
        }
        catch (Exception e) when (e is InvalidInputException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // the upgrade or the widening does not help (or the copy cannot be written): ONNX Runtime's own reason stands
            try { File.Delete(copy); } catch (IOException) { }
            throw failure;
        }
        var how = (upgrade, half) switch
        {
            (true, false) => $"it is upgraded to opset {Opset}, which keeps its results, and compared as such",
            (false, true) => "its half-precision computation is widened to float32 (the weights exactly) and compared as such",
            _ => $"it is upgraded to opset {Opset} and its half-precision computation widened to float32, and compared as such",
        };
        return (copy, $"note: ONNX Runtime cannot run the input model as it is (opset {opset}: {FirstLine(failure)}); {how}");
    }

    /// <summary>ONNX Runtime's own reason (the inner exception's), first line.</summary>
    private static string FirstLine(InvalidInputException failure) =>
        (failure.InnerException is { } ort ? OrtMessages.Clean(ort.Message) : failure.Message).Split('\n')[0];
}
