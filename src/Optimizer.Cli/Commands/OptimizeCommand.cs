using System.CommandLine;
using Optimizer.Cli.Pipeline;

namespace Optimizer.Cli.Commands;

/// <summary>The root command: <c>optimize MODEL [-o OUT] ...</c> runs the pipeline on MODEL.</summary>
public static class OptimizeCommand
{
    public static RootCommand Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "The FP32 ONNX model to optimize." };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Output folder (default: the model's folder/<stem>.opt/)." };
        var passes = new Option<string>("--passes")
        {
            Description = "Exactly these passes, comma-separated, in order; 'none' only reads and writes the model.",
        };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary on stdout." };
        var root = new RootCommand("Makes ONNX models fast for deployment: fusion, pruning, INT8/FP16, TensorRT engines, validation.")
        {
            model, output, passes, json,
        };
        root.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var modelPath = parse.GetValue(model)!.FullName;
            var options = new OptimizeOptions
            {
                ModelPath = modelPath,
                OutDir = parse.GetValue(output)?.FullName ?? OptimizeOptions.DefaultOutDir(modelPath),
                Passes = ParsePasses(parse.GetValue(passes)),
                Json = parse.GetValue(json),
            };
            return Task.FromResult(OptimizeRunner.Run(options, parse.InvocationConfiguration.Output, cancel));
        });
        return root;
    }

    private static IReadOnlyList<string>? ParsePasses(string? text) =>
        text is null ? null
        : text.Trim() == "none" ? []
        : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
