using System.CommandLine;

namespace Optimizer.Cli.Commands;

/// <summary>The root command: <c>optimize MODEL [-o OUT] ...</c> runs the pipeline on MODEL.</summary>
public static class OptimizeCommand
{
    public static RootCommand Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "The FP32 ONNX model to optimize." };
        var root = new RootCommand("Makes ONNX models fast for deployment: fusion, pruning, INT8/FP16, TensorRT engines, validation.") { model };
        root.SetAction((ParseResult parse, CancellationToken _) => Task.FromResult(0));
        return root;
    }
}
