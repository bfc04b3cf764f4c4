using System.CommandLine;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Analysis;
using Optimizer.Onnx.Serialization;

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
            var path = parse.GetValue(model)!.FullName;
            var summary = ModelSummary.Of(ModelReader.Read(path));
            var output = parse.InvocationConfiguration.Output;
            output.Write(parse.GetValue(json) ? Json.Serialize(summary) + "\n" : SummaryText.Render(path, summary));
            return Task.FromResult(0);
        });
        return command;
    }
}
