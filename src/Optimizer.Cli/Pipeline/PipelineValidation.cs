using System.Text.Json;
using System.Text.Json.Nodes;
using Optimizer.Cli.Commands;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Sessions;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The <c>--validate DIR</c> step of <c>optimize MODEL</c>: the written model against the FP32 input on DIR's samples,
/// with the <c>--max-accuracy-drop</c>/<c>--min-speedup</c> gates. The full validation goes to OUT/validation/; its
/// report is also added to OUT/report.json (as "validation") and OUT/report.md, so one report holds everything.
/// </summary>
public sealed record PipelineValidation
{
    public const string FolderName = "validation";

    public required string DataDir { get; init; }
    public IReadOnlyList<Gate> Gates { get; init; } = [];
    public string? JUnit { get; init; }
    /// <summary>Outputs fed back as the next sample's inputs (<c>--feed-back</c>): the validation, and the budget's rounds, as one stream.</summary>
    public IReadOnlyList<FeedBack> FeedBack { get; init; } = [];

    /// <summary>
    /// Refuses a missing data folder, an unwritable --junit file and --feed-back pairs the input model cannot take (by
    /// its declared names, element types and ranks, which the passes keep) as soon as the command line is read, not
    /// after calibration and the comparisons.
    /// </summary>
    public void Check(string modelPath)
    {
        DataOptions.CheckFolder(DataDir, "--validate");
        if (JUnit is not null) OutputLocation.CheckFile(JUnit, "--junit");
        if (FeedBack.Count == 0) return;
        var graph = Onnx.Serialization.ModelReader.Read(modelPath).Graph;
        static FeedBack.Port[] Ports(IEnumerable<Onnx.IR.Value> values) => values
            .Select(v => new FeedBack.Port(v.Name, v.ElementType == Onnx.IR.ElementType.Undefined ? null : v.ElementType.ToString().ToLowerInvariant(), v.Shape?.Rank))
            .ToArray();
        Runtime.Validation.FeedBack.Check(FeedBack, Ports(graph.Inputs.Where(i => !i.IsInitializer)), Ports(graph.Outputs), "the model");
    }

    /// <summary>
    /// Refuses data the validation would stop on, before anything is written: no samples, a corrupt file, a wrong type
    /// or shape, NaN, or an input model ONNX Runtime cannot load. Every sample is read once here, one at a time, so a
    /// bad one anywhere in the folder is found.
    /// </summary>
    public void CheckData(OptimizeOptions options, CancellationToken cancel)
    {
        foreach (var _ in InputData.Open(DataDir, options).Read()) cancel.ThrowIfCancellationRequested();
    }

    public DataOptions DataOptionsFor(OptimizeOptions options) => new() { Folder = DataDir, Shapes = DataOptions.ParseShapes(options.Shapes) };

    public int Run(OptimizeOptions options, string outDir, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var validation = new ValidateOptions
        {
            BaselinePath = RunnableInput.PathFor(options),
            CandidatePath = Path.Combine(outDir, OptimizeRunner.ModelFileName),
            Data = DataOptionsFor(options),
            Gates = Gates,
            FeedBack = FeedBack,
            // Accuracy with ONNX Runtime's optimizations off; latency side by side with them on, as a deployment runs.
            Session = options.ComparisonSession,
            LatencySession = options.SpeedSession,
        };
        var folder = Path.Combine(outDir, FolderName);
        // With --json, stdout already holds the pipeline's JSON: the validation summary stays in the files.
        var printTo = options.Json ? TextWriter.Null : stdout;
        var cached = options.Cache is { } cache
            ? Caching.ValidationStepCache.Open(cache, JsonNode.Parse(Output.Json.Serialize(validation))!, Path.GetFileName(options.ModelPath))
            : null;
        if (cached?.TryRestore(outDir, FolderName, JUnit, printTo) is not { } code)
        {
            var printed = cached is null ? printTo : new StringWriter();
            code = ValidationRun.Run(validation, folder, JUnit, json: false, printed, stderr, cancel);
            if (cached is not null)
            {
                printTo.Write(printed.ToString());
                cached.Store(outDir, FolderName, JUnit, printed.ToString()!, code);
            }
        }
        cached?.Record(outDir);
        var merged = MergeIntoReport(outDir, folder);
        var (quantization, report) = (merged["quantization"], merged["validation"]);
        // a budget that returned every node to float wrote the float model: its speed is the input's, whatever the noise says
        if (options.Quantize is { Half: null } q && quantization?["quantizedNodes"]?.GetValue<int>() is not 0)
        {
            WarnWhenSlower(report, stderr, q.Target == Passes.Quantization.QuantizationTarget.TensorRt);
            if (Gates.Count == 0 && quantization?["mode"]?.GetValue<string>() == "dynamic") WarnWhenFarFromFp32(report, stderr);
        }
        else if (options.Quantize is { Half: { } half }) NoteWhenHalfSlowerOnCpu(report, half.Name.ToUpperInvariant(), stderr);
        return code;
    }

    /// <summary>An INT8 model slower than its FP32 input is a result users must hear about, not find in a table.</summary>
    /// <param name="tensorRt">The model is laid out for TensorRT (<c>--target tensorrt</c>), which ONNX Runtime's CPU provider runs slowly by nature.</param>
    internal static void WarnWhenSlower(string folder, TextWriter stderr, bool tensorRt = false) => WarnWhenSlower(ReadReport(folder), stderr, tensorRt);

    private static void WarnWhenSlower(JsonNode? report, TextWriter stderr, bool tensorRt)
    {
        if (SurelySlower(report) is not { } speedup) return;
        stderr.WriteLine(tensorRt
            ? $"note: the INT8 model for TensorRT ran slower than the FP32 input in ONNX Runtime here ({Ratio(speedup)}x at p50), as expected: ONNX Runtime's "
              + "CPU provider fuses little of the symmetric int8 Q/DQ layout TensorRT wants; time it on a GPU (--engine, or --provider tensorrt)"
            : $"warning: the INT8 model ran slower than the FP32 input here ({Ratio(speedup)}x at p50): its quantized ops do not "
              + "outweigh the conversions around the ops left in float (report.md lists them); --min-speedup 1 makes this fail");
    }

    /// <summary>
    /// A half-precision model timed slower on the CPU is expected, not a fault of the conversion: ONNX Runtime's CPU
    /// provider runs most float16 ops through float32 (silero VAD v5: 0.74x). Said once, pointing at where it pays.
    /// </summary>
    internal static void NoteWhenHalfSlowerOnCpu(string folder, string kind, TextWriter stderr) => NoteWhenHalfSlowerOnCpu(ReadReport(folder), kind, stderr);

    private static void NoteWhenHalfSlowerOnCpu(JsonNode? report, string kind, TextWriter stderr)
    {
        if (report?["latencySessionOptions"]?["provider"]?.GetValue<string>() != "cpu" || SurelySlower(report) is not { } speedup) return;
        stderr.WriteLine($"note: the {kind} model ran slower than the FP32 input on the CPU ({Ratio(speedup)}x at p50), as expected: ONNX Runtime's CPU provider "
                         + "computes most half-precision ops through float32; half precision pays on a GPU (--provider cuda, or --engine for TensorRT)");
    }

    /// <summary>
    /// Dynamic INT8 measures nothing before the validation (static compares its candidates on the calibration data and
    /// warns from there): far from FP32 on the validation data with no gate to judge it, it is said here (openWakeWord's
    /// mel front end: its mel MatMul reads a power spectrum, 4.1 dB, and nothing had been said).
    /// </summary>
    private static void WarnWhenFarFromFp32(JsonNode? report, TextWriter stderr)
    {
        var outputs = report?["outputs"]?.AsArray();
        var worst = outputs?.Select(o => o?["sqnrDb"]?.GetValue<double>()).OfType<double>().DefaultIfEmpty(double.PositiveInfinity).Min();
        if (worst is not { } db || !(db < QuantizationSummary.LowSqnrDb)) return;
        stderr.WriteLine(FormattableString.Invariant(
            $"warning: the INT8 model's worst output SQNR against FP32 on the --validate data is {db:0.0} dB: give --max-accuracy-drop METRIC=VALUE, which returns the most sensitive nodes to float until it holds"));
    }

    private static JsonNode? ReadReport(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));

    /// <summary>
    /// The validation's p50 speed-up when it is below 1 and, timed side by side, its whole interval is too (slower,
    /// not noise, as validate's summary says); else null.
    /// </summary>
    private static double? SurelySlower(JsonNode? report)
    {
        var latency = report?["latency"];
        if (latency?["speedup"]?.GetValue<double>() is not (< 1.0 and > 0 and var speedup)) return null;
        if (latency["estimate"]?.Deserialize<Runtime.Benchmark.SpeedupEstimate>(Output.Json.Options) is { } estimate && !estimate.SurelyBelow(1.0)) return null;
        return speedup;
    }

    /// <summary>A speed-up below 1 with enough digits not to read "1.00x" when the interval says slower.</summary>
    private static string Ratio(double speedup) => speedup.ToString(speedup >= 0.995 ? "0.000" : "0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>OUT/report.json as written, the validation's report in it.</returns>
    private static JsonObject MergeIntoReport(string outDir, string folder)
    {
        var reportPath = Path.Combine(outDir, "report.json");
        var report = JsonNode.Parse(File.ReadAllText(reportPath))!.AsObject();
        report["validation"] = ReadReport(folder);
        AtomicFile.WriteAllText(reportPath, report.ToJsonString(Output.Json.Options) + "\n");
        var markdownPath = Path.Combine(outDir, "report.md");
        var validationMarkdown = File.ReadAllText(Path.Combine(folder, "report.md")).Replace("\n#", "\n##");
        AtomicFile.WriteAllText(markdownPath, File.ReadAllText(markdownPath).TrimEnd() + "\n\n#" + validationMarkdown);
        return report;
    }
}
