using System.CommandLine;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>--provider cpu|cuda|tensorrt|auto</c> of the root command: the execution provider of the runs the pipeline makes
/// (--validate, calibration). A provider this build or machine cannot load is refused before anything runs.
/// </summary>
public static class ProviderOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--provider")
        {
            HelpName = "cpu|cuda|tensorrt|auto",
            Description = "Execution provider of --validate and calibration: cpu, cuda or tensorrt (the GPU flavour), or auto: the best that loads here.",
            DefaultValueFactory = _ => "cpu",
        };
        option.AcceptOnlyFromAmong("cpu", "cuda", "tensorrt", "auto");
        return option;
    }

    /// <summary>
    /// The provider asked for (auto resolved, with its line on stderr) with <c>--device</c> and <c>--provider-option</c>
    /// (<paramref name="options"/>), checked to load: exit 2 or 3 otherwise.
    /// </summary>
    public static SessionSettings Read(ParseResult parse, Option<string> option, ProviderOptionSet options)
    {
        var settings = options.Apply(parse, parse.GetValue(option)!, SessionSettings.ForSpeed, parse.InvocationConfiguration.Error);
        if (settings.Provider != ExecutionProvider.Cpu && parse.GetValue(option) != "auto") SessionFactory.CheckProvider(settings);
        return settings;
    }
}
