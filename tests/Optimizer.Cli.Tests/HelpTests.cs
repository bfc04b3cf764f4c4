namespace Optimizer.Cli.Tests;

/// <summary>Help shows each command as it is typed: a subcommand's usage and arguments never carry the root's MODEL.</summary>
public class HelpTests
{
    [Theory]
    [InlineData("inspect", "optimize inspect <MODEL> [options]", "The ONNX model to describe.")]
    [InlineData("bench", "optimize bench [<MODEL>] [options]", "[default: 10]")]
    [InlineData("validate", "optimize validate [options]", "(required)")]
    [InlineData("engine", "optimize engine <MODEL> [options]", "--trtexec-arg <--FLAG[=VALUE]>")]
    [InlineData("passes", "optimize passes [options]", "-?, -h, --help")]
    [InlineData("run", "optimize run <PIPELINE> [options]", "--dry-run")]
    public void SubcommandHelpShowsOnlyTheSubcommand(string command, string usage, string detail)
    {
        var result = CliRunner.Run(command, "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:\n  " + usage + "\n", result.Stdout.ReplaceLineEndings("\n"));
        Assert.Contains(detail, result.Stdout);
        Assert.DoesNotContain("The FP32 ONNX model to optimize", result.Stdout);
        Assert.DoesNotContain("<MODEL> " + command, result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void TheRootHelpStillShowsTheModelAndTheCommands()
    {
        var result = CliRunner.Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(" <MODEL> [command] [options]", result.Stdout); // the root is named after the process (testhost here)
        Assert.Contains("The FP32 ONNX model to optimize", result.Stdout);
        Assert.Contains("inspect <MODEL>", result.Stdout);
    }
}
