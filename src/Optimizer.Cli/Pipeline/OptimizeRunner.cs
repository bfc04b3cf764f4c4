using System.Diagnostics;
using System.Text.Json.Nodes;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Analysis;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>optimize MODEL</c>: read the model, run the passes, write OUT/model.onnx, OUT/report.json, OUT/report.md and
/// OUT/manifest.json. Nothing is written before the model has been read and the passes have run; the files go to the
/// staging folder of the <see cref="OutputTransaction"/>, which the caller publishes into OUT when the run is done.
/// </summary>
public static class OptimizeRunner
{
    public const string ModelFileName = "model.onnx";

    /// <summary>The calibration statistics of a static quantization, for <c>--calibration-table</c> next time.</summary>
    public const string CalibrationFileName = "calibration.json";

    /// <summary>Per-layer SQNR of the quantized model against FP32 (with --validate).</summary>
    public const string LayerPlotFileName = "layer_sqnr.png";

    /// <summary>TensorRT's calibration cache (implicit INT8 on TensorRT 8.x), written for <c>--target tensorrt</c>.</summary>
    public const string TensorRtCacheFileName = "calibration.cache";

    /// <summary>Output channels kept per layer (with --prune structured).</summary>
    public const string PruningPlotFileName = "pruning_channels.png";

    /// <param name="beforeWrite">
    /// Checks that must pass before anything is written (the --validate data, the --engine options), given the model as
    /// it will be written; it throws to refuse.
    /// </param>
    /// <param name="validation">The --validate step: with --quantize, the accuracy budget quantization must keep.</param>
    /// <param name="output">OUT (options.OutDir), taken by this run when it starts writing.</param>
    public static int Run(OptimizeOptions options, OutputTransaction output, TextWriter stdout, CancellationToken cancel,
        Action<Model>? beforeWrite = null, TextWriter? stderr = null, PipelineValidation? validation = null)
    {
        var clock = Stopwatch.StartNew();
        var cached = Caching.OptimizeStepCache.Open(options, validation);
        if (cached?.TryRestore(output, beforeWrite, stdout, cancel) == true) return ExitCodes.Success;
        // 1. read (and, for the steps that run it, find how ONNX Runtime runs the input: RunnableInput says so once)
        var model = ModelReader.Read(options.ModelPath);
        // A model of the first exporters that ONNX Runtime cannot run as it is gets the upgrade it needs in every case, so
        // that what is written runs; otherwise the input is loaded here only for the steps that run it anyway.
        var opsetIn = Patterns.Opset(model);
        var mayNeedHelp = opsetIn < RunnableInput.Opset || Passes.Precision.WidenHalfPrecision.HalfWeightedNodes(model).Count > 0;
        var runsInput = validation is not null || options.Quantize is not null || options.Prune is not null;
        var needsUpgrade = mayNeedHelp && (runsInput || opsetIn < 7) && RunnableInput.IsUpgraded(options, stderr) && opsetIn < RunnableInput.Opset;
        var before = ModelSummary.Of(model);
        // 2. choose and run the passes (quantization needs opset 13: older models are upgraded first)
        var passOptions = options.Quantize is null ? options
            : options with { Opset = options.Quantize.Half is { } h ? HalfPrecisionStep.OpsetFor(model, options.Opset, h) : QuantizationStep.OpsetFor(model, options.Opset) };
        if (needsUpgrade && (passOptions.Opset ?? 0) < RunnableInput.Opset) passOptions = passOptions with { Opset = RunnableInput.Opset };
        var passes = PassSelection.Choose(passOptions);
        var context = new PassContext(PassSelection.Settings(passOptions), cancellation: cancel);
        var records = PassRunner.Run(model, passes, context).ToList();
        cancel.ThrowIfCancellationRequested();
        // 3. prune the optimized FP32 model (BatchNormalization folded, shapes known), before quantizing it
        var pruned = options.Prune is { } prune ? PruningBudget.Run(model, prune, options, context, stderr ?? TextWriter.Null, validation) : null;
        if (pruned is not null) records.AddRange(pruned.Records);
        if (pruned is not null && Passes.Analysis.BodyLayers.Find(model) is { Count: > 0 } inBodies)
            stderr?.WriteLine($"note: pruning works on the main graph's layers only: {inBodies.Count} Conv/Gemm/MatMul inside If/Loop/Scan bodies are left whole");
        if (pruned is { Report.ChannelsPrunable: 0 } && model.Graph.Nodes.Any(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul"))
            stderr?.WriteLine("note: no channel could be pruned: structured pruning removes a layer's output channels only where every reader can drop the same " +
                              "channels (an elementwise op, pooling, the next layer), and here each layer's output reaches an op that mixes channels " +
                              "(a normalization or reduction over them, a Reshape or MatMul across them) or a graph output; --prune unstructured zeroes weights within each layer instead");
        // 3. quantize the optimized FP32 model (an INT8 model's integer ops and scales are no float computation to quantize
        // again, nor to halve: isnet_small's ConvInteger int32 outputs had been cast straight to float16)
        if (options.Quantize is { } wanted && Passes.Quantization.QuantizedOps.In(model) is { Count: > 0 } found)
            throw new InvalidInputException($"the model is already quantized (it holds {string.Join(", ", found.Select(f => $"{f.Count} {f.OpType}"))}); " +
                                            $"--quantize {wanted.Half?.Name ?? "int8"} starts from the FP32 model it was made from (without --quantize, the other passes still run)");
        QuantizationOutcome? quantized = null;
        var half = options.Quantize is { Half: not null } hq ? HalfPrecisionBudget.Run(model, hq, options, context, stderr ?? TextWriter.Null, validation) : null;
        records.AddRange(half?.Records ?? []);
        if (options.Quantize is { Half: null } asked)
        {
            var unwidened = UnwidenedModel.Snapshot(model);
            var (prepared, q) = QuantizationStep.Prepare(model, QuantizationBudget.JudgedBy(asked, validation), options, context, stderr ?? TextWriter.Null);
            records.AddRange(prepared);
            quantized = QuantizationBudget.Run(model, q, options, context, stderr ?? TextWriter.Null, validation);
            if (Patterns.Opset(model) != opsetIn) quantized = quantized with { Report = quantized.Report with { OpsetUpgradedFrom = opsetIn } };
            records.AddRange(quantized.Records);
            if (stderr is not null) QuantizationSummary.Write(quantized.Report, stderr, validating: validation is not null);
            if (unwidened?.RestoreIfNothingQuantized(model, quantized.Report, stderr) == true) records.RemoveAll(prepared.Contains);
            cancel.ThrowIfCancellationRequested();
        }
        beforeWrite?.Invoke(model);
        // 3. write the model
        RefuseWritingOverInput(model, options.OutDir);
        var outDir = output.Open(cancel);
        var outModel = Path.Combine(outDir, ModelFileName);
        ModelWriter.Write(model, outModel);
        if (quantized?.Table is { } table)
        {
            table.Write(Path.Combine(outDir, CalibrationFileName));
            if (options.Quantize!.Target == Passes.Quantization.QuantizationTarget.TensorRt)
                TensorRtCalibrationCache.Write(Path.Combine(outDir, TensorRtCacheFileName), table.Ranges);
        }
        if (pruned?.Report.Layers is { Count: > 0 } prunedLayers)
            Runtime.Plots.ChannelsKeptPlot.SavePng(prunedLayers.Select(l => (l.Layer, l.ChannelsBefore, l.ChannelsAfter)).ToList(), Path.Combine(outDir, PruningPlotFileName));
        if (quantized?.Report.LayerErrors is { Count: > 0 } layers)
            Runtime.Validation.LayerErrorPlot.SavePng(layers, Path.Combine(outDir, LayerPlotFileName));
        // 4. report and manifest
        var report = new PipelineReport
        {
            Input = Path.GetFullPath(options.ModelPath),
            Output = outModel,
            InputBytes = new FileInfo(options.ModelPath).Length,
            OutputBytes = new FileInfo(outModel).Length + ExternalBytes(outModel),
            Passes = passes.Select(p => p.Name).ToList(),
            PassResults = records,
            Declines = context.Diagnostics.Declines,
            Before = before,
            After = ModelSummary.Of(ModelReader.Read(outModel)),
            Seconds = clock.Elapsed.TotalSeconds,
            Quantization = quantized?.Report,
            HalfPrecision = half?.Report,
            Pruning = pruned?.Report,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), Json.Serialize(report) + "\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.md"), ReportMarkdown.Render(report));
        WriteManifest(options, outDir, outModel, quantized?.Report, pruned?.Report);
        if (half is not null) HalfPrecisionManifest.Write(outDir, half.Report);
        // 5. tell the user (and keep the step's result with --cache)
        var (json, summary) = (Json.Serialize(report) + "\n", Summary(report, options.Explain));
        cached?.Store(outDir, summary, json);
        stdout.Write(options.Json ? json : summary);
        return ExitCodes.Success;
    }

    /// <summary>The model is written in a staging folder and then moved into OUT: over the input model, if that is in OUT.</summary>
    internal static void RefuseWritingOverInput(Model model, string outDir)
    {
        var written = Path.GetFullPath(Path.Combine(outDir, ModelFileName));
        var read = model.AllGraphs().SelectMany(g => g.Initializers).Select(v => v.Initializer!.Data).OfType<ExternalTensorData>()
            .Select(e => Path.GetFullPath(e.Path)).Prepend(model.SourcePath is { } s ? Path.GetFullPath(s) : null);
        if (read.FirstOrDefault(p => p == written || p == written + ".data") is { } source)
            throw new InvalidInputException($"refusing to write over the input model '{source}'; choose another output");
    }

    private static void WriteManifest(OptimizeOptions options, string outDir, string outModel, QuantizationReport? quantization, PruningReport? pruning)
    {
        var manifest = Manifest.LoadOrCreate(outDir);
        manifest.AddFile("input", options.ModelPath);
        manifest.AddFile("model", outModel);
        if (File.Exists(outModel + ".data")) manifest.AddFile("modelData", outModel + ".data");
        foreach (var (key, file) in new[] { ("calibrationTable", CalibrationFileName), ("calibrationCache", TensorRtCacheFileName) })
            if (quantization is not null && File.Exists(Path.Combine(outDir, file))) manifest.AddFile(key, Path.Combine(outDir, file));
        if (quantization is not null) manifest.SetSection("quantization", JsonNode.Parse(Json.Serialize(quantization)));
        if (pruning is not null) manifest.SetSection("pruning", JsonNode.Parse(Json.Serialize(pruning)));
        manifest.SetSection("options", JsonNode.Parse(Json.Serialize(options with { ModelPath = Path.GetFullPath(options.ModelPath), OutDir = outDir })));
        // The provider and every option in effect (ONNX Runtime's defaults included) of the runs --validate and calibration make.
        manifest.SetSection("sessionOptions", JsonNode.Parse(Json.Serialize(Runtime.Sessions.SessionOptionsInEffect.OfPipeline(options.ComparisonSession, options.SpeedSession))));
        manifest.Save();
    }

    private static string Summary(PipelineReport r, bool explain)
    {
        var text = new System.Text.StringBuilder();
        foreach (var p in r.PassResults.Where(p => p.Changed))
            text.AppendLine($"  {p.Name}: {PassSummaryText.Describe(p)}");
        if (explain)
        {
            text.AppendLine(r.Declines.Count == 0 ? "no rewrite was declined" : $"declined ({r.Declines.Count}):");
            foreach (var d in r.Declines) text.AppendLine($"  {d.Pass}: {d.Node}: {d.Reason}");
        }
        if (r.Pruning is { } pruning) text.AppendLine(PruningMarkdown.Summary(pruning));
        text.AppendLine($"wrote {r.Output} ({SummaryText.Bytes(r.OutputBytes)}, {PassSummaryText.Nodes(r.After.TotalNodeCount, r.After.Constants.Tensors)}; " +
                        $"input had {PassSummaryText.Nodes(r.Before.TotalNodeCount, r.Before.Constants.Tensors)})");
        return text.ToString();
    }

    private static long ExternalBytes(string modelPath) => File.Exists(modelPath + ".data") ? new FileInfo(modelPath + ".data").Length : 0;
}
