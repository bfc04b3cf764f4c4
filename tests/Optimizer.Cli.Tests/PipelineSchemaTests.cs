using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Optimizer.Cli.Pipeline;
using Optimizer.TestKit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize schema</c> and the parser agree: every key the parser takes is in the schema and every key of the schema
/// is one the parser takes; for each key a value of its kind passes both and a value of another kind fails both; a file
/// using every key (and one using defaults and a glob) passes both. No JSON Schema package is allowed, so
/// <see cref="SchemaCheck"/> checks the subset of draft 2020-12 the schema uses, on the file read as YAML's core schema
/// types it (as an editor's YAML language server does).
/// </summary>
public class PipelineSchemaTests
{
    private static JsonObject Schema()
    {
        var result = CliRunner.Run("schema");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }

    [Fact]
    public void TheSchemaIsDraft2020AndEveryReferenceResolves()
    {
        var schema = Schema();
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        var refs = Regex.Matches(schema.ToJsonString(), "\"\\$ref\":\"([^\"]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(refs);
        foreach (var reference in refs) Assert.NotNull(SchemaCheck.Resolve(schema, reference));
        // Each key is described by its option's own help.
        Assert.StartsWith("--opset: Upgrade the whole model", (string?)schema["$defs"]!["job"]!["properties"]!["opset"]!["description"]);
    }

    /// <summary>Every key of the parser, as (path in the file, kind), and the same read back from the schema.</summary>
    [Fact]
    public void TheSchemaHasExactlyTheParsersKeys()
    {
        var schema = Schema();
        var defs = schema["$defs"]!.AsObject();
        var parser = PipelineFile.Keys.SelectMany(k => k.Keys is null ? [k.Name] : k.Keys.Select(i => $"{k.Name}.{i.Name}").Prepend(k.Name)).Order().ToList();
        var fromSchema = defs["job"]!["properties"]!.AsObject().SelectMany(p =>
            p.Value!["$ref"] is not null || p.Value!["anyOf"]?.AsArray().Any(a => a!["$ref"] is not null) == true
                ? defs[p.Key]!["properties"]!.AsObject().Select(i => $"{p.Key}.{i.Key}").Prepend(p.Key)
                : [p.Key]).Order().ToList();
        Assert.Equal(parser, fromSchema);
        Assert.Equal(PipelineFile.Keys.Select(k => k.Name).Where(n => n is not ("name" or "model")).Order(),
            defs["defaults"]!["properties"]!.AsObject().Select(p => p.Key).Order());
    }

    public static IEnumerable<object[]> EveryKey() =>
        PipelineFile.Keys.SelectMany(k => k.Keys is null ? [new object[] { k.Name, "" }] : k.Keys.Select(i => new object[] { k.Name, i.Name }).Prepend([k.Name, ""]));

    [Theory]
    [MemberData(nameof(EveryKey))]
    public void AValueOfTheKeysKindPassesBothAndAnotherKindFailsBoth(string key, string inner)
    {
        var entry = PipelineFile.Keys.Single(k => k.Name == key);
        var kind = inner == "" ? entry : entry.Keys!.Single(k => k.Name == inner);
        var schema = Schema();
        var (good, bad) = Samples(kind);
        if (kind.Name == "name" || kind.Name == "model") return; // the job's own scalars: covered by the every-key file
        foreach (var (value, accepted) in new[] { (good, true), (bad, false) })
        {
            var yaml = inner == "" ? $"model: m.onnx\n{key}: {value}\n"
                : $"model: m.onnx\n{key}:\n  {Required(key, inner)}{inner}: {value}\n";
            var (parsed, message) = Parse(yaml);
            var valid = SchemaCheck.Valid(schema, Json(yaml));
            Assert.True(parsed == accepted, $"{key}.{inner} = {value}: the parser {(parsed ? "accepts" : "refuses")} it ({message})");
            Assert.True(valid == accepted, $"{key}.{inner} = {value}: the schema {(valid ? "accepts" : "refuses")} it");
        }
    }

    [Fact]
    public void AFileUsingEveryKeyPassesBothAndAZooWithDefaultsToo()
    {
        var schema = Schema();
        string Keys(IEnumerable<PipelineFile.Key> keys, string indent) => string.Concat(keys.Select(k => k.Keys is null
            ? $"{indent}{k.Name}: {(k.Name == "model" ? "m.onnx" : Samples(k).Good)}\n"
            : $"{indent}{k.Name}:\n{Keys(k.Keys, indent + "  ")}"));
        var every = Keys(PipelineFile.Keys, "");
        var zoo = "defaults:\n" + Keys(PipelineFile.Keys.Where(k => k.Name is not ("name" or "model")), "  ")
            + "jobs:\n  - name: one\n    model: m.onnx\n    opset: 18\n  - name: two\n    model: m.onnx\n    engine: false\n";

        foreach (var yaml in new[] { every, zoo })
        {
            var (parsed, message) = Parse(yaml);
            Assert.True(parsed, message + "\n" + yaml);
            Assert.True(SchemaCheck.Valid(schema, Json(yaml)), yaml);
        }
        // And both refuse the same mistakes at the top: an unknown key, jobs: beside a job's keys, defaults without jobs.
        foreach (var yaml in new[] { "model: m.onnx\nverfy: true\n", "model: m.onnx\njobs:\n  - name: a\n    model: m.onnx\n", "defaults: {opset: 17}\nmodel: m.onnx\n", "jobs: []\n" })
        {
            Assert.False(Parse(yaml).Parsed, yaml);
            Assert.False(SchemaCheck.Valid(schema, Json(yaml)), yaml);
        }
    }

    /// <summary>The key a section cannot go without (validate's data, triton's repository), when the key tried is another.</summary>
    private static string Required(string section, string inner) => (section, inner) switch
    {
        ("validate", not "data") => "data: d\n  ",
        ("triton", not "repository") => "repository: r\n  ",
        _ => "",
    };

    /// <summary>A value of each kind that the parser takes, and one of another kind.</summary>
    private static (string Good, string Bad) Samples(PipelineFile.Key key) => key.Kind switch
    {
        // A section: a mapping of its first key (validate: needs data:, its first).
        PipelineFile.Kind.Section => ($"{{{key.Keys![0].Name}: {Samples(key.Keys[0]).Good}}}", "[a]"),
        PipelineFile.Kind.Flag or PipelineFile.Kind.ExplicitFlag => ("true", "maybe"),
        PipelineFile.Kind.Integer => ("3", "three"),
        PipelineFile.Kind.Number => ("0.5", "half"),
        PipelineFile.Kind.Text or PipelineFile.Kind.Path or PipelineFile.Kind.Executable or PipelineFile.Kind.EmitPath => ("some-text", "[a, b]"),
        PipelineFile.Kind.Shapes => ("{input: 1x3x8x8, mask: 4}", "[1, 3]"),
        PipelineFile.Kind.Passes or PipelineFile.Kind.Repeated => ("[a, b]", "{a: b}"),
        PipelineFile.Kind.Gates => ("{cosine: 0.99}", "cosine"),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    private static (bool Parsed, string Message) Parse(string yaml)
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("p.yaml"), yaml);
        try
        {
            PipelineFile.Read(dir.File("p.yaml"), "p.yaml");
            return (true, "");
        }
        catch (Optimizer.Onnx.Errors.InvalidInputException e)
        {
            return (false, e.Message);
        }
    }

    /// <summary>The YAML as JSON, with plain scalars typed as YAML 1.2's core schema types them.</summary>
    private static JsonNode? Json(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return ToJson(stream.Documents[0].RootNode);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: not ScalarStyle.Plain } s => JsonValue.Create(s.Value),
        YamlScalarNode s when s.Value is null or "" or "~" or "null" or "Null" or "NULL" => null,
        YamlScalarNode s when s.Value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => JsonValue.Create(s.Value.Equals("true", StringComparison.OrdinalIgnoreCase)),
        YamlScalarNode s when Regex.IsMatch(s.Value!, "^[-+]?[0-9]+$") => JsonValue.Create(long.Parse(s.Value!, CultureInfo.InvariantCulture)),
        YamlScalarNode s when Regex.IsMatch(s.Value!, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$") => JsonValue.Create(double.Parse(s.Value!, CultureInfo.InvariantCulture)),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };
}

/// <summary>The part of JSON Schema 2020-12 the pipeline schema uses: type, properties, additionalProperties, required, items, minItems, anyOf, oneOf, $ref.</summary>
internal static class SchemaCheck
{
    public static JsonNode? Resolve(JsonObject root, string reference) =>
        reference.StartsWith("#/$defs/", StringComparison.Ordinal) ? root["$defs"]?[reference["#/$defs/".Length..]] : null;

    public static bool Valid(JsonObject root, JsonNode? value) => Valid(root, root, value);

    private static bool Valid(JsonObject root, JsonObject schema, JsonNode? value)
    {
        foreach (var (keyword, argument) in schema)
        {
            var ok = keyword switch
            {
                "$schema" or "title" or "description" or "$defs" => true,
                "$ref" => Valid(root, Resolve(root, (string)argument!)!.AsObject(), value),
                "type" => argument is JsonArray types ? types.Any(t => IsType(value, (string)t!)) : IsType(value, (string)argument!),
                "properties" => value is not JsonObject o || o.All(p => argument![p.Key] is not JsonObject s || Valid(root, s, p.Value)),
                "additionalProperties" => value is not JsonObject o2 || o2.Where(p => schema["properties"]?[p.Key] is null)
                    .All(p => argument is JsonObject s ? Valid(root, s, p.Value) : (bool)argument!),
                "required" => value is not JsonObject o3 || argument!.AsArray().All(r => o3.ContainsKey((string)r!)),
                "items" => value is not JsonArray a || a.All(i => Valid(root, argument!.AsObject(), i)),
                "minItems" => value is not JsonArray a2 || a2.Count >= (int)argument!,
                "anyOf" => argument!.AsArray().Any(s => Valid(root, s!.AsObject(), value)),
                "oneOf" => argument!.AsArray().Count(s => Valid(root, s!.AsObject(), value)) == 1,
                _ => throw new NotSupportedException($"the schema uses '{keyword}', which this check does not know"),
            };
            if (!ok) return false;
        }
        return true;
    }

    private static bool IsType(JsonNode? value, string type) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "boolean" => value is JsonValue b && b.TryGetValue<bool>(out _),
        "string" => value is JsonValue s && s.TryGetValue<string>(out _),
        "integer" => value is JsonValue i && (i.TryGetValue<long>(out _) || i.TryGetValue<double>(out var d) && d == Math.Floor(d)),
        "number" => value is JsonValue n && (n.TryGetValue<long>(out _) || n.TryGetValue<double>(out _)),
        _ => throw new NotSupportedException(type),
    };
}
