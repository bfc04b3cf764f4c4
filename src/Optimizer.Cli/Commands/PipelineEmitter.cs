using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Optimizer.Cli.Output;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>--emit-pipeline FILE</c> on the root command: writes the pipeline file that reproduces the command line, by the
/// same key table the file's parser reads (<see cref="PipelineFile.Keys"/>), so <c>optimize run FILE</c> runs the same
/// options (in the table's order) and <c>--dry-run</c> prints that command line. Paths are written relative to FILE's
/// folder, so the file moves with the checkout it names. Options about this one invocation rather than the
/// optimization (<c>--json</c>, <c>--wait</c>, <c>--emit-pipeline</c> itself) are not part of a job.
/// </summary>
public static partial class PipelineEmitter
{
    /// <summary>Root options that a pipeline job does not hold: how this run prints and waits, not what it makes.</summary>
    public static readonly IReadOnlyList<string> NotInJobs = ["--json", "--wait", "--emit-pipeline"];

    public static Option<FileInfo?> Create() => new("--emit-pipeline")
    {
        HelpName = "FILE",
        Description = "Also write the pipeline file (YAML) that reproduces this command line ('optimize run FILE').",
    };

    /// <summary>Refuses, before the run writes anything, a FILE that could not be written: a folder, or under a file.</summary>
    public static void Check(FileInfo? file)
    {
        if (file is null) return;
        if (Directory.Exists(file.FullName)) throw new InvalidInputException($"--emit-pipeline: {file} is a folder; give the pipeline file's path");
        for (var folder = file.Directory; folder is not null; folder = folder.Parent)
            if (File.Exists(folder.FullName)) throw new InvalidInputException($"--emit-pipeline: {folder.FullName} is a file, not a folder");
    }

    /// <summary>Writes the file (whole or not at all) for the root command's <paramref name="parse"/>.</summary>
    public static void Write(ParseResult parse, string modelPath, string file)
    {
        var full = Path.GetFullPath(file);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var text = Yaml(parse, modelPath, folder);
        var staged = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(staged, text);
        File.Move(staged, full, overwrite: true);
    }

    internal static string Yaml(ParseResult parse, string modelPath, string folder)
    {
        var options = parse.RootCommandResult.Command.Options;
        var lines = new List<string>
        {
            "# Written by optimize --emit-pipeline: the same as",
            "#   " + RunCommand.CommandLine(parse.Tokens.Select(t => t.Value).Where((_, i) => !IsEmitToken(parse, i))),
            "# Run it with: optimize run THIS-FILE (--dry-run prints its command line). Paths are relative to this file's folder.",
            $"model: {Quote(Relative(modelPath, folder))}",
        };
        foreach (var key in PipelineFile.Keys.Where(k => k.Option is not null || k.Kind == PipelineFile.Kind.Section))
        {
            if (key.Kind != PipelineFile.Kind.Section)
            {
                if (Entry(key, options, parse, folder) is { } line) lines.Add(line);
                continue;
            }
            var inner = key.Keys!.Select(k => Entry(k, options, parse, folder)).OfType<string>().Select(l => "  " + l).ToList();
            var on = key.Option is not null && Find(options, key.Option) is Option<bool> flag && parse.GetResult(flag) is { Implicit: false } && parse.GetValue(flag);
            if (inner.Count == 0 && on) lines.Add($"{key.Name}: true");
            else if (inner.Count > 0 && (on || key.Option is null)) lines.AddRange([$"{key.Name}:", .. inner]);
        }
        return string.Join("\n", lines) + "\n";
    }

    private static bool IsEmitToken(ParseResult parse, int index)
    {
        var tokens = parse.Tokens;
        var value = tokens[index].Value;
        return value == "--emit-pipeline" || value.StartsWith("--emit-pipeline=", StringComparison.Ordinal)
            || index > 0 && tokens[index - 1].Value == "--emit-pipeline";
    }

    /// <summary>The <c>key: value</c> line of an option given on the command line, or null when it was not given.</summary>
    private static string? Entry(PipelineFile.Key key, IEnumerable<Option> options, ParseResult parse, string folder)
    {
        // An EmitPath key's option is the option and its first word ("--emit triton"): the path is the value after it.
        var optionName = key.Kind == PipelineFile.Kind.EmitPath ? key.Option!.Split(' ')[0] : key.Option!;
        var option = Find(options, optionName) ?? throw new InvalidOperationException($"the pipeline key '{key.Name}' names {key.Option}, which the root command does not have");
        if (parse.GetResult(option) is not { Implicit: false } given) return null;
        var values = given.Tokens.Select(t => t.Value).ToList();
        string Path(string value) => Quote(Relative(System.IO.Path.GetFullPath(value), folder));
        var text = key.Kind switch
        {
            PipelineFile.Kind.Flag => option is Option<bool> flag && parse.GetValue(flag) ? "true" : null,
            PipelineFile.Kind.ExplicitFlag => option is Option<bool> flag && parse.GetValue(flag) ? "true" : "false",
            PipelineFile.Kind.Integer or PipelineFile.Kind.Number => Number(values.Single()),
            PipelineFile.Kind.Path => Path(values.Single()),
            PipelineFile.Kind.EmitPath => values.Count == 2 && values[0] == key.Option!.Split(' ')[1] ? Path(values[1]) : null,
            PipelineFile.Kind.Executable => values.Single().Contains('/') ? Path(values.Single()) : Quote(values.Single()),
            PipelineFile.Kind.Repeated => "[" + string.Join(", ", values.Select(Quote)) + "]",
            PipelineFile.Kind.Gates => "{" + string.Join(", ", values.SelectMany(Runtime.Validation.Gate.Items).Select(Gate)) + "}",
            _ => Quote(values.Single()),
        };
        return text is null ? null : $"{key.Name}: {text}";
    }

    private static Option? Find(IEnumerable<Option> options, string name) =>
        options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));

    private static string Gate(string value)
    {
        var at = value.IndexOf('=');
        if (at <= 0) throw new InvalidInputException($"--emit-pipeline: cannot write the budget '{value}' (expected METRIC=VALUE)");
        return $"{Quote(value[..at])}: {Number(value[(at + 1)..])}";
    }

    private static string Number(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && YamlNumber().IsMatch(value) ? value : Quote(value);

    /// <summary>Relative to the file's folder when the two share a top folder (a checkout), else absolute.</summary>
    private static string Relative(string path, string folder) =>
        Top(path) == Top(folder) ? System.IO.Path.GetRelativePath(folder, path).Replace('\\', '/') : path;

    private static string Top(string path) => path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";

    /// <summary>A plain YAML scalar where that reads back as the same string, else a single-quoted one.</summary>
    private static string Quote(string value) =>
        PlainScalar().IsMatch(value) && !YamlNumber().IsMatch(value) && value.ToLowerInvariant() is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off")
            ? value
            : "'" + value.Replace("'", "''") + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./,+=-]*$")]
    private static partial Regex PlainScalar();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlNumber();
}
