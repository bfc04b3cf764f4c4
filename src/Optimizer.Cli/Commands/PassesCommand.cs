using System.CommandLine;
using Optimizer.Cli.Output;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimize passes</c>: every pass of the default pipeline, in order, with a one-line description.</summary>
public static class PassesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the list as JSON." };
        var command = new Command("passes", "List every pass, in the default pipeline's order, with what it does.") { json };
        command.SetAction((ParseResult parse, CancellationToken _) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var passes = PassRegistry.All;
            if (parse.GetValue(json))
                output.Write(Json.Serialize(passes.Select(p => new { p.Name, Kind = p.Kind.ToString().ToLowerInvariant(), p.Description })) + "\n");
            else
            {
                var width = passes.Max(p => p.Name.Length);
                foreach (var p in passes) output.WriteLine($"{p.Name.PadRight(width)}  {p.Kind.ToString().ToLowerInvariant(),-8}  {p.Description}");
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
