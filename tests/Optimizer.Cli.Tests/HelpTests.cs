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
    [InlineData("merge-reports", "optimize merge-reports <DIR> [options]", "zoo-report.json")]
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

    [Theory]
    [InlineData("")]
    [InlineData("bench")]
    [InlineData("validate")]
    [InlineData("engine")]
    [InlineData("inspect")]
    [InlineData("run")]
    [InlineData("merge-reports")]
    public void Every_value_placeholder_is_in_one_style_and_defaults_are_spelled_as_accepted(string command)
    {
        var result = command.Length == 0 ? CliRunner.Run("--help") : CliRunner.Run(command, "--help");
        Assert.Equal(0, result.ExitCode);
        var options = result.Stdout.Split('\n').Where(l => l.TrimStart().StartsWith('-')).ToList();
        Assert.NotEmpty(options);
        foreach (var line in options)
        {
            var name = System.Text.RegularExpressions.Regex.Match(line, @"--([a-z0-9-]+)").Groups[1].Value;
            // The library's own placeholder is the option's lower-case name (<output>); ours are capitals or a list of values.
            Assert.DoesNotContain($"--{name} <{name}>", line);
            Assert.DoesNotMatch(@"\[default: [A-Z]", line);
        }
        if (command is "" or "engine" or "bench")
            Assert.Contains("(default: $TRTEXEC, then PATH, then /usr/src/tensorrt/bin and /opt/tensorrt/bin)", result.Stdout);
    }

    [Fact]
    public void Version_says_the_onnx_runtime_and_the_flavour()
    {
        var result = CliRunner.Run("--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+ \(onnxruntime 1\.31\.\d+, cpu flavour\)$", result.Stdout.Trim());
    }
}
