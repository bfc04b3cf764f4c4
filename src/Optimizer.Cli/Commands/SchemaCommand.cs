using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Optimizer.Cli.Pipeline;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>optimize schema</c>: prints the JSON Schema of a pipeline file, with each key described by its command-line
/// option's own help, for an editor to check a file against (<c># yaml-language-server: $schema=pipeline.schema.json</c>).
/// </summary>
public static class SchemaCommand
{
    public static Command Create()
    {
        var command = new Command("schema", "Print the JSON Schema (draft 2020-12) of a pipeline file, for editors to check one as it is written.");
        command.SetAction((ParseResult parse, CancellationToken _) =>
        {
            var options = OptimizeCommand.Create().Options.SelectMany(o => o.Aliases.Prepend(o.Name).Select(n => (n, o.Description)))
                .GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().Description);
            var schema = PipelineSchema.Build(option => options.GetValueOrDefault(option));
            parse.InvocationConfiguration.Output.Write(schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            return Task.FromResult(0);
        });
        return command;
    }
}
