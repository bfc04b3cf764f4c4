using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>A mistyped option or pass name gets the one meant, in one line, instead of a list of everything.</summary>
public sealed class DidYouMeanTests
{
    private static string TinyCnn => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Theory]
    [InlineData("--pases none", "unknown option '--pases'; did you mean '--passes'? (see 'optimize --help')")]
    [InlineData("--quantise int8", "unknown option '--quantise'; did you mean '--quantize'? (see 'optimize --help')")]
    [InlineData("--passes fuse-batchnrom", "--passes: unknown pass 'fuse-batchnrom'; did you mean 'fuse-batchnorm'? ('optimize passes' lists them all)")]
    [InlineData("--passes fuse-everything", "--passes: unknown pass 'fuse-everything'; 'optimize passes' lists the passes there are")]
    [InlineData("--frobnicate", "unknown option '--frobnicate' (see 'optimize --help')")]
    public void Root_command(string args, string expected)
    {
        var result = CliRunner.Run([TinyCnn, .. args.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {expected}", result.Stderr.Trim());
    }

    [Fact]
    public void Subcommand_options_are_matched_against_the_subcommands_own()
    {
        var result = CliRunner.Run("bench", TinyCnn, "--run", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: unknown option '--run'; did you mean '--runs'? (see 'optimize bench --help')", result.Stderr.Trim());
    }

    [Theory]
    [InlineData("passes", "pases", 1)]
    [InlineData("batchnorm", "batchnrom", 1)] // a swap of neighbours is one edit
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Distance_counts_edits(string a, string b, int expected) => Assert.Equal(expected, Suggestions.Distance(a, b));

    [Fact]
    public void Nothing_is_suggested_for_a_different_word() => Assert.Null(Suggestions.Closest("--xyzzy", ["--runs", "--warmup", "--json"]));
}
