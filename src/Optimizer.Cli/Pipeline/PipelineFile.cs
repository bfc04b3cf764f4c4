using System.Globalization;
using System.Text.RegularExpressions;
using Optimizer.Onnx.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Cli.Pipeline;

/// <summary>One job of a pipeline file: the arguments of <c>optimize MODEL ...</c> it stands for.</summary>
/// <param name="Name">The job's <c>name:</c>; null for a one-job file that has none.</param>
/// <param name="Line">The line (1-based) where the job starts in the file.</param>
public sealed record PipelineJob(string? Name, int Line, IReadOnlyList<string> Arguments);

/// <summary>
/// Reads a pipeline file (<c>optimize run PIPELINE.yaml</c>) into the argument lists of the root command, so that a
/// job means exactly what the same options mean on the command line. The file holds one job as top-level keys, or
/// several under <c>jobs:</c>; each key maps to one option (<see cref="JobKeys"/>), paths are relative to the file's
/// folder and <c>~</c> is the home folder. Anything that is not a job (an unknown key, a value of the wrong kind, a
/// YAML syntax error, no <c>model:</c>, an empty file) is refused here with the file's line; values the root command
/// checks itself (a pass name, a metric, a precision) are passed through for it to refuse.
/// </summary>
public static partial class PipelineFile
{
    internal enum Kind
    {
        /// <summary>true emits the option, false nothing.</summary>
        Flag,
        /// <summary>true emits the option, false the option with <c>false</c>: not given differs from false (<c>per-tensor</c>).</summary>
        ExplicitFlag,
        Integer,
        Number,
        Text,
        /// <summary>A file or folder: relative to the pipeline file's folder, <c>~</c> expanded.</summary>
        Path,
        /// <summary>A path, or a bare name that trtexec's locator looks up on PATH as a shell would.</summary>
        Executable,
        /// <summary>A mapping <c>{input: 1x3x224x224}</c> or the option's own string <c>input:1x3x224x224</c>.</summary>
        Shapes,
        /// <summary>A list <c>[a, b]</c> or the option's own string <c>a,b</c> or <c>none</c>.</summary>
        Passes,
        /// <summary>A mapping <c>{cosine: 0.9999}</c>: one option per entry, <c>METRIC=VALUE</c>.</summary>
        Gates,
        /// <summary>A list of strings (or one string): one option per item.</summary>
        Repeated,
        /// <summary>A nested mapping of more keys.</summary>
        Section,
        /// <summary>A path written after the option's words: <c>--emit triton PATH</c>.</summary>
        EmitPath,
    }

    internal sealed record Key(string Name, Kind Kind, string? Option, IReadOnlyList<Key>? Keys = null);

    /// <summary>The keys of a job, as the parser takes them (the schema of <c>optimize schema</c> is built from them).</summary>
    internal static IReadOnlyList<Key> Keys => JobKeys;

    // Each list is in the root command's order of options, which is also the order of the arguments written out.
    private static readonly Key[] ValidateKeys =
    [
        new("data", Kind.Path, "--validate"),
        new("max-accuracy-drop", Kind.Gates, "--max-accuracy-drop"),
        new("min-speedup", Kind.Number, "--min-speedup"),
        new("junit", Kind.Path, "--junit"),
        new("feed-back", Kind.Text, "--feed-back"),
    ];

    private static readonly Key[] EngineKeys =
    [
        new("precision", Kind.Text, "--engine-precision"),
        new("shapes", Kind.Shapes, "--engine-shapes"),
        new("min-shapes", Kind.Shapes, "--engine-min-shapes"),
        new("opt-shapes", Kind.Shapes, "--engine-opt-shapes"),
        new("max-shapes", Kind.Shapes, "--engine-max-shapes"),
        new("cache", Kind.Path, "--engine-cache"),
        new("require-int8", Kind.Flag, "--require-int8"),
        new("trtexec", Kind.Executable, "--trtexec"),
        new("trtexec-args", Kind.Repeated, "--trtexec-arg"),
        new("workspace", Kind.Integer, "--engine-workspace"),
        new("optimization-level", Kind.Integer, "--engine-optimization-level"),
        new("device", Kind.Integer, "--engine-device"),
        new("iterations", Kind.Integer, "--engine-iterations"),
        new("duration", Kind.Number, "--engine-duration"),
        new("skip-inference", Kind.Flag, "--engine-skip-inference"),
        new("timeout", Kind.Number, "--engine-timeout"),
        new("calibration-cache", Kind.Path, "--engine-calibration-cache"),
    ];

    private static readonly Key[] TritonKeys =
    [
        new("repository", Kind.EmitPath, "--emit triton"),
        new("name", Kind.Text, "--triton-name"),
        new("max-batch", Kind.Integer, "--triton-max-batch"),
        new("batch-from", Kind.Path, "--triton-batch-from"),
    ];

    /// <summary>The keys of a job. <c>model</c> is the root command's argument; <c>name</c> only names the job.</summary>
    private static readonly Key[] JobKeys =
    [
        new("name", Kind.Text, null),
        new("model", Kind.Path, null),
        new("output", Kind.Path, "-o"),
        new("passes", Kind.Passes, "--passes"),
        new("no-fuse", Kind.Flag, "--no-fuse"),
        new("opset", Kind.Integer, "--opset"),
        new("shapes", Kind.Shapes, "--shapes"),
        new("explain", Kind.Flag, "--explain"),
        new("verify", Kind.Flag, "--verify"),
        new("provider", Kind.Text, "--provider"),
        new("device", Kind.Integer, "--device"),
        new("provider-options", Kind.Repeated, "--provider-option"),
        new("cache", Kind.Path, "--cache"),
        new("threads", Kind.Integer, "--threads"),
        new("quantize", Kind.Text, "--quantize"),
        new("calibrate", Kind.Path, "--calibrate"),
        new("calibration-method", Kind.Text, "--calibration-method"),
        new("percentile", Kind.Number, "--percentile"),
        new("calibration-samples", Kind.Integer, "--calibration-samples"),
        new("calibration-table", Kind.Path, "--calibration-table"),
        new("target", Kind.Text, "--target"),
        new("activations", Kind.Text, "--activations"),
        new("per-tensor", Kind.ExplicitFlag, "--per-tensor"),
        new("exclude", Kind.Text, "--exclude"),
        new("smooth-quant", Kind.Text, "--smooth-quant"),
        new("keep-io-types", Kind.Flag, "--keep-io-types"),
        new("no-keep-io-types", Kind.Flag, "--no-keep-io-types"),
        new("prune", Kind.Text, "--prune"),
        new("prune-norm", Kind.Text, "--prune-norm"),
        new("prune-threshold", Kind.Number, "--prune-threshold"),
        new("prune-amount", Kind.Number, "--prune-amount"),
        new("prune-scope", Kind.Text, "--prune-scope"),
        new("prune-pattern", Kind.Text, "--prune-pattern"),
        new("prune-max-per-layer", Kind.Number, "--prune-max-per-layer"),
        new("prune-channel-multiple", Kind.Integer, "--prune-channel-multiple"),
        new("bias-correction", Kind.Flag, "--bias-correction"),
        new("weight-rounding", Kind.Text, "--weight-rounding"),
        new("cross-layer-equalization", Kind.Text, "--cross-layer-equalization"),
        new("validate", Kind.Section, null, ValidateKeys),
        new("engine", Kind.Section, "--engine", EngineKeys),
        new("triton", Kind.Section, null, TritonKeys),
    ];

    /// <summary>
    /// Reads the jobs of the file at <paramref name="path"/>; <paramref name="shownPath"/> is how messages name the
    /// file (as the user gave it). Throws <see cref="InvalidInputException"/> naming the line and the key.
    /// </summary>
    public static IReadOnlyList<PipelineJob> Read(string path, string shownPath)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{shownPath}: no such pipeline file");
        var reader = new Reader(shownPath, Path.GetDirectoryName(Path.GetFullPath(path))!);
        var yaml = new YamlStream();
        using (var text = File.OpenText(path))
        {
            var parser = new Parser(text);
            try
            {
                yaml.Load(parser);
            }
            catch (YamlException e)
            {
                throw reader.Error(e.Start, $"not valid YAML: {WithoutPosition(e)}");
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner throws this on some broken flow collections ("model: [a" then more lines).
                throw reader.Error(parser.Current?.Start ?? Mark.Empty, "not valid YAML: cannot read on from here (an unclosed '[' or '{'?)");
            }
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: "" or null })
            throw reader.Error(Mark.Empty, "the file is empty; a pipeline file needs at least 'model:'");
        if (yaml.Documents.Count > 1)
            throw reader.Error(yaml.Documents[1].RootNode.Start, "a pipeline file is one YAML document; list several jobs under 'jobs:'");
        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw reader.Error(yaml.Documents[0].RootNode.Start, $"expected keys (model:, output:, ... or jobs:), not {Describe(yaml.Documents[0].RootNode)}");
        return reader.Jobs(root);
    }

    private static string WithoutPosition(YamlException e) =>
        // YamlDotNet puts "(Line: 3, Col: 1, Idx: 20) - (Line: 3, Col: 2, Idx: 21): " before its message.
        Regex.Replace(e.Message, @"^\(Line: .*?\) - \(Line: .*?\): ", "");

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private sealed partial class Reader(string file, string folder)
    {
        public InvalidInputException Error(Mark at, string message) =>
            new($"{file}:{Math.Max(1L, at.Line)}: {message}");

        private InvalidInputException Error(YamlNode at, string key, string message) => Error(at.Start, $"{key}: {message}");

        /// <summary>Refuses keys that are not in <paramref name="keys"/>, and values of the wrong kind, before any is used.</summary>
        private Dictionary<string, YamlNode> Check(YamlMappingNode map, IReadOnlyList<Key> keys, string prefix)
        {
            var values = new Dictionary<string, YamlNode>();
            foreach (var (keyNode, value) in map.Children)
            {
                var name = KeyName(keyNode);
                var key = keys.FirstOrDefault(k => k.Name == name)
                    ?? throw Error(keyNode, prefix + name, $"unknown key; known keys{(prefix == "" ? "" : $" of {prefix.TrimEnd('.')}")}: {string.Join(", ", keys.Select(k => k.Name))}");
                values[name] = value;
                if (key.Kind == Kind.Section)
                {
                    // 'engine: true' (or 'engine:' alone) asks for the step with its defaults; 'engine: false' leaves it out.
                    if (key.Option is not null && value is YamlScalarNode s && (IsNull(s) || Bool(s) is not null)) continue;
                    if (value is not YamlMappingNode section)
                        throw Error(value, prefix + name, $"expected a mapping of {string.Join(", ", key.Keys!.Select(k => k.Name + ":"))}{(key.Option is not null ? " or true/false" : "")}, not {Describe(value)}");
                    // validate.data and triton.repository are checked once the job's defaults are merged in (PipelineFile.Zoo.cs).
                    Check(section, key.Keys!, prefix + name + ".");
                }
                else
                    CheckKind(value, key, prefix + name);
            }
            return values;
        }

        private void CheckKind(YamlNode value, Key key, string name)
        {
            switch (key.Kind)
            {
                case Kind.Flag or Kind.ExplicitFlag:
                    if (value is not YamlScalarNode s || Bool(s) is null) throw Error(value, name, $"expected true or false, not {Describe(value)}");
                    break;
                case Kind.Integer:
                    if (value is not YamlScalarNode i || IsNull(i) || !long.TryParse(i.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                        throw Error(value, name, $"expected a whole number, not {Describe(value)}");
                    break;
                case Kind.Number:
                    if (value is not YamlScalarNode n || IsNull(n) || !double.TryParse(n.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                        throw Error(value, name, $"expected a number, not {Describe(value)}");
                    break;
                case Kind.Text or Kind.Path or Kind.Executable or Kind.EmitPath:
                    Scalar(value, name, key.Kind == Kind.Text ? "a string" : "a path");
                    break;
                case Kind.Shapes:
                    if (value is YamlMappingNode shapes)
                        foreach (var (input, dims) in shapes.Children)
                        {
                            KeyName(input);
                            Scalar(dims, $"{name}.{((YamlScalarNode)input).Value}", "dimensions such as 1x3x224x224");
                        }
                    else Scalar(value, name, "a mapping of input names to dimensions ({input: 1x3x224x224}) or 'input:1x3x224x224'");
                    break;
                case Kind.Passes or Kind.Repeated:
                    if (value is YamlSequenceNode items)
                        foreach (var item in items) Scalar(item, name, "a list of strings");
                    else Scalar(value, name, key.Kind == Kind.Passes ? "a list of pass names, 'a,b' or 'none'" : "a list of strings");
                    break;
                case Kind.Gates:
                    if (value is not YamlMappingNode gates) throw Error(value, name, $"expected a mapping of metrics to budgets ({{cosine: 0.9999}}), not {Describe(value)}");
                    foreach (var (metric, budget) in gates.Children)
                    {
                        KeyName(metric);
                        Scalar(budget, $"{name}.{((YamlScalarNode)metric).Value}", "a number");
                    }
                    break;
            }
        }

        /// <summary>Appends the options of the checked <paramref name="values"/>, in the order of <paramref name="keys"/>.</summary>
        private void Emit(Dictionary<string, YamlNode> values, IReadOnlyList<Key> keys, string prefix, List<string> args)
        {
            foreach (var key in keys)
            {
                if (key.Option is null && key.Kind != Kind.Section || !values.TryGetValue(key.Name, out var value)) continue;
                var name = prefix + key.Name;
                switch (key.Kind)
                {
                    case Kind.Flag:
                        if (Bool((YamlScalarNode)value) == true) args.Add(key.Option!);
                        break;
                    case Kind.ExplicitFlag:
                        args.Add(key.Option!);
                        if (Bool((YamlScalarNode)value) == false) args.Add("false");
                        break;
                    case Kind.Integer or Kind.Number or Kind.Text:
                        Option(args, key.Option!, ((YamlScalarNode)value).Value!.Trim());
                        break;
                    case Kind.Path:
                        Option(args, key.Option!, PathValue(Scalar(value, name, "a path")));
                        break;
                    case Kind.EmitPath:
                        args.AddRange(key.Option!.Split(' '));
                        args.Add(PathValue(Scalar(value, name, "a path")));
                        break;
                    case Kind.Executable:
                        var program = Scalar(value, name, "a path");
                        Option(args, key.Option!, program.Contains('/') || program.StartsWith('~') ? PathValue(program) : program);
                        break;
                    case Kind.Shapes:
                        Option(args, key.Option!, value is YamlMappingNode shapes
                            ? string.Join(",", shapes.Children.Select(p => $"{((YamlScalarNode)p.Key).Value}:{((YamlScalarNode)p.Value).Value}"))
                            : ((YamlScalarNode)value).Value!);
                        break;
                    case Kind.Passes:
                        Option(args, key.Option!, value is YamlSequenceNode passes
                            ? string.Join(",", passes.Select(p => ((YamlScalarNode)p).Value))
                            : ((YamlScalarNode)value).Value!);
                        break;
                    case Kind.Repeated:
                        // Always --option=VALUE: the values (trtexec's own flags) start with '-'.
                        foreach (var item in value is YamlSequenceNode list ? list.Children : [value])
                            args.Add($"{key.Option}={((YamlScalarNode)item).Value}");
                        break;
                    case Kind.Gates:
                        foreach (var (metric, budget) in ((YamlMappingNode)value).Children)
                            Option(args, key.Option!, $"{((YamlScalarNode)metric).Value}={((YamlScalarNode)budget).Value}");
                        break;
                    case Kind.Section:
                        if (value is YamlScalarNode flag && Bool(flag) == false) break;
                        if (key.Option is not null) args.Add(key.Option);
                        if (value is YamlMappingNode section) Emit(Check(section, key.Keys!, name + "."), key.Keys!, name + ".", args);
                        break;
                }
            }
        }

        /// <summary>A value that starts like an option (or a response file) is glued to its option, so it stays a value.</summary>
        private static void Option(List<string> args, string option, string value)
        {
            if (value.StartsWith('-') || value.StartsWith('@')) args.Add($"{option}={value}");
            else args.AddRange([option, value]);
        }

        private string PathValue(string value)
        {
            value = WithModel(value);
            if (value == "~" || value.StartsWith("~/", StringComparison.Ordinal))
                value = System.IO.Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[1..].TrimStart('/'));
            return System.IO.Path.GetFullPath(value, folder);
        }

        private string Scalar(YamlNode value, string name, string expected) =>
            value is YamlScalarNode s && !IsNull(s) ? s.Value! : throw Error(value, name, $"expected {expected}, not {Describe(value)}");

        private string KeyName(YamlNode key) =>
            key is YamlScalarNode { Value: { Length: > 0 } name } ? name : throw Error(key.Start, $"keys are names, not {Describe(key)}");

        private static bool? Bool(YamlScalarNode s) =>
            s.Value?.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null };
    }
}
