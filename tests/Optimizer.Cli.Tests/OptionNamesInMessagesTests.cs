using System.CommandLine;
using System.Text.RegularExpressions;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Every option a message, a help text or a hint names exists: three messages once recommended --quantize and
/// --calibrate before either was an option (issue 14). The string literals of the project's sources are searched for
/// option names and each is looked up in the command tree.
/// </summary>
public sealed partial class OptionNamesInMessagesTests
{
    /// <summary>Option-like text that is not one of ours, each with its reason.</summary>
    private static readonly Dictionary<string, string> NotOurs = new(StringComparer.Ordinal)
    {
        ["--engine-"] = "the prefix the root command puts before engine options (EngineOptions.Name)",
        ["--sparsity"] = "trtexec's flag (--sparsity=enable), which --engine passes for a 2:4-pruned model",
        ["--fp16"] = "trtexec's precision flag, which --engine passes (an INT8 engine of a float16 model gets it beside --int8)",
        ["--int8"] = "trtexec's precision flag, which --engine passes for a Q/DQ model",
    };

    [Fact]
    public void Every_option_named_in_a_string_of_the_sources_exists()
    {
        var known = AllOptionNames(CommandLineApp.BuildRoot());
        Assert.Contains("--quantize", known);
        var sources = new[] { "Optimizer.Cli", "Optimizer.Runtime", "Optimizer.Passes", "Optimizer.Onnx" }
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(sources.Count > 50, $"only {sources.Count} source files found");
        var unknown = new List<string>();
        var checkedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            foreach (Match literal in StringLiteral().Matches(text))
                foreach (Match option in OptionName().Matches(literal.Value))
                {
                    checkedNames.Add(option.Value);
                    if (!known.Contains(option.Value) && !NotOurs.ContainsKey(option.Value))
                        unknown.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}: {option.Value} in {literal.Value}");
                }
        }
        Assert.True(checkedNames.Count >= 40, $"only {checkedNames.Count} option names found in the sources");
        Assert.True(unknown.Count == 0, $"{unknown.Count} option name(s) the command line does not have:\n{string.Join("\n", unknown.Take(20))}");
    }

    [Fact]
    public void The_search_finds_an_option_that_does_not_exist()
    {
        var known = AllOptionNames(CommandLineApp.BuildRoot());
        var found = OptionName().Matches("\"quantize it first (--quantise int8), then --engine\"").Select(m => m.Value).ToList();
        Assert.Equal(["--quantise", "--engine"], found);
        Assert.DoesNotContain("--quantise", known);
    }

    private static HashSet<string> AllOptionNames(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(Command c)
        {
            foreach (var o in c.Options)
            {
                names.Add(o.Name);
                names.UnionWith(o.Aliases);
            }
            foreach (var sub in c.Subcommands) Walk(sub);
        }
        Walk(command);
        return names;
    }

    /// <summary>A C# string literal, regular or interpolated (without verbatim or raw forms, which the sources do not use for messages).</summary>
    [GeneratedRegex(@"\$?""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();

    /// <summary>A long option in our spelling (lower case with dashes); trtexec's camelCase flags (--useCudaGraph) are not ours.</summary>
    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?(?![A-Za-z0-9])")]
    private static partial Regex OptionName();
}
