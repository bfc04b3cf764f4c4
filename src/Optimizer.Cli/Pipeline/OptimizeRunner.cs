using System.Diagnostics;
using System.Text.Json.Nodes;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Analysis;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.Serialization;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>optimize MODEL</c>: read the model, run the passes, write OUT/model.onnx, OUT/report.json, OUT/report.md and
/// OUT/manifest.json. Nothing is written before the model has been read and checked, and each file appears only
/// once complete.
/// </summary>
public static class OptimizeRunner
{
    public const string ModelFileName = "model.onnx";

    public static int Run(OptimizeOptions options, TextWriter stdout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var model = ModelReader.Read(options.ModelPath);
        var before = ModelSummary.Of(model);
        if (options.Passes is not { Count: 0 })
            throw new InvalidInputException("no passes are available yet: use --passes none");
        cancel.ThrowIfCancellationRequested();

        var outDir = Path.GetFullPath(options.OutDir);
        if (File.Exists(outDir)) throw new InvalidInputException($"output '{options.OutDir}' is a file; give a folder");
        Directory.CreateDirectory(outDir);
        var outModel = Path.Combine(outDir, ModelFileName);
        ModelWriter.Write(model, outModel);

        var after = ModelSummary.Of(ModelReader.Read(outModel));
        var report = new PipelineReport
        {
            Input = Path.GetFullPath(options.ModelPath),
            Output = outModel,
            InputBytes = new FileInfo(options.ModelPath).Length,
            OutputBytes = new FileInfo(outModel).Length + ExternalBytes(outModel),
            Passes = options.Passes ?? [],
            Before = before,
            After = after,
            Seconds = clock.Elapsed.TotalSeconds,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.json"), Json.Serialize(report) + "\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.md"), ReportMarkdown.Render(report));

        var manifest = Manifest.LoadOrCreate(outDir);
        manifest.AddFile("input", options.ModelPath);
        manifest.AddFile("model", outModel);
        if (File.Exists(outModel + ".data")) manifest.AddFile("modelData", outModel + ".data");
        manifest.SetSection("options", JsonNode.Parse(Json.Serialize(options with { ModelPath = Path.GetFullPath(options.ModelPath), OutDir = outDir })));
        manifest.Save();

        stdout.Write(options.Json
            ? Json.Serialize(report) + "\n"
            : $"wrote {outModel} ({SummaryText.Bytes(report.OutputBytes)}, {after.NodeCount} nodes; input had {before.NodeCount})\n");
        return ExitCodes.Success;
    }

    private static long ExternalBytes(string modelPath) => File.Exists(modelPath + ".data") ? new FileInfo(modelPath + ".data").Length : 0;
}
