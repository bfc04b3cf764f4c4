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
            Description = "Exactly these passes, comma-separated, in order ('optimize passes' lists them); 'none' only reads and writes the model.",
        };
        var noFuse = new Option<bool>("--no-fuse") { Description = "Skip the default fusion, folding and cleanup passes." };
        var explain = new Option<bool>("--explain") { Description = "Print why each rewrite that matched was declined." };
        var verify = new Option<bool>("--verify") { Description = "Check the model's invariants after every pass." };
        var opset = new Option<long?>("--opset") { Description = "Upgrade the whole model to this ONNX opset first (enables LayerNormalization at 17, Gelu at 20)." };
        var shapes = new Option<string>("--shapes") { Description = "Fix input dimensions: name:1x3x224x224[,name2:...]." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable summary on stdout." };
        var root = new RootCommand("Makes ONNX models fast for deployment: fusion, pruning, INT8/FP16, TensorRT engines, validation.")
        {
            model, output, passes, noFuse, explain, verify, opset, shapes, json,
        };
        root.SetAction((ParseResult parse, CancellationToken cancel) =>
        {
            var modelPath = parse.GetValue(model)!.FullName;
            var options = new OptimizeOptions
            {
                ModelPath = modelPath,
                OutDir = parse.GetValue(output)?.FullName ?? OptimizeOptions.DefaultOutDir(modelPath),
                Passes = ParsePasses(parse.GetValue(passes)),
                NoFuse = parse.GetValue(noFuse),
                Explain = parse.GetValue(explain),
                Verify = parse.GetValue(verify),
                Opset = parse.GetValue(opset),
                Shapes = parse.GetValue(shapes),
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
