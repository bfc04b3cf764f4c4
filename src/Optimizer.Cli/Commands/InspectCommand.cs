using System.CommandLine;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimize inspect MODEL [--json]</c>: what is in a model.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "The ONNX model to describe." };
        var json = new Option<bool>("--json") { Description = "Print a machine-readable description." };
        var command = new Command("inspect", "Describe what is in a model: opsets, inputs, outputs, operators, parameters.") { model, json };
        command.SetAction((ParseResult parse, CancellationToken _) =>
        {
            // Filled in with the IR.
            return Task.FromResult(0);
        });
        return command;
    }
}
