using System.Text.Json.Nodes;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The JSON Schema (draft 2020-12) of a pipeline file (<c>optimize schema</c>), built from the key table the parser
/// reads (<see cref="PipelineFile.Keys"/>), so the two cannot drift apart: a key's kind decides its JSON type, a
/// section its nested object. Editors (the YAML language server, for one) check a file against it as it is written.
/// The parser stays the judge of what the schema cannot say: a job under <c>jobs:</c> needs a <c>name:</c> unless its
/// model is a glob, <c>validate:</c> needs <c>data:</c> once the defaults are merged in.
/// </summary>
public static class PipelineSchema
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    /// <param name="describe">The description of a command-line option (<c>--opset</c>), or null.</param>
    public static JsonObject Build(Func<string, string?> describe)
    {
        var defs = new JsonObject();
        var sections = PipelineFile.Keys.Where(k => k.Kind == PipelineFile.Kind.Section).ToList();
        foreach (var section in sections)
            defs[section.Name] = ObjectOf(section.Keys!, describe);
        defs["job"] = ObjectOf(PipelineFile.Keys, describe);
        defs["defaults"] = ObjectOf(PipelineFile.Keys.Where(k => k.Name is not ("name" or "model")).ToList(), describe);
        var job = new JsonObject { ["$ref"] = "#/$defs/job", ["required"] = new JsonArray("model") };
        return new JsonObject
        {
            ["$schema"] = Draft,
            ["title"] = "optimize pipeline file",
            ["description"] = "One job's options as keys (model: required), or jobs: (a list of such jobs) with optional defaults: merged under each. "
                + $"Paths are relative to the file's folder; {PipelineFile.ModelPlaceholder} in a path or name is the model's file name without its extension.",
            ["oneOf"] = new JsonArray(
                job.DeepClone(),
                new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["defaults"] = new JsonObject { ["$ref"] = "#/$defs/defaults", ["description"] = "Keys merged under each job; a job's own keys win (validate: and engine: merge key by key)." },
                        ["jobs"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = job.DeepClone(), ["description"] = "The jobs, run in order; a glob model: is one job per file it matches." },
                    },
                    ["required"] = new JsonArray("jobs"),
                    ["additionalProperties"] = false,
                }),
            ["$defs"] = defs,
        };
    }

    private static JsonObject ObjectOf(IReadOnlyList<PipelineFile.Key> keys, Func<string, string?> describe)
    {
        var properties = new JsonObject();
        foreach (var key in keys)
        {
            var schema = Value(key);
            var text = key.Name switch
            {
                "name" => "The job's name (jobs: only); a glob model's jobs are named by their models.",
                "model" => "The ONNX model: a path, or a glob (*, ?, [ab], **) for one job per file it matches.",
                _ => key.Option is null ? null : describe(key.Option),
            };
            if (text is not null) schema["description"] = key.Option is null ? text : $"{key.Option}: {text}";
            properties[key.Name] = schema;
        }
        return new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
    }

    /// <summary>What the parser accepts for a key of this kind (PipelineFile.Reader.CheckKind), as JSON Schema.</summary>
    internal static JsonObject Value(PipelineFile.Key key) => key.Kind switch
    {
        PipelineFile.Kind.Flag or PipelineFile.Kind.ExplicitFlag => Type("boolean"),
        PipelineFile.Kind.Integer => Type("integer"),
        PipelineFile.Kind.Number => Type("number"),
        PipelineFile.Kind.Text or PipelineFile.Kind.Path or PipelineFile.Kind.Executable or PipelineFile.Kind.EmitPath => Type("string"),
        PipelineFile.Kind.Shapes => AnyOf(Type("string"), new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "integer") } }),
        PipelineFile.Kind.Passes or PipelineFile.Kind.Repeated => AnyOf(Type("string"), new JsonObject { ["type"] = "array", ["items"] = Type("string") }),
        PipelineFile.Kind.Gates => new JsonObject { ["type"] = "object", ["additionalProperties"] = Type("number") },
        PipelineFile.Kind.Section when key.Option is not null => AnyOf(Type("boolean"), Type("null"), Ref(key.Name)),
        PipelineFile.Kind.Section => Ref(key.Name),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key.Kind, "a kind of key without a schema"),
    };

    private static JsonObject Type(string type) => new() { ["type"] = type };

    private static JsonObject Ref(string name) => new() { ["$ref"] = $"#/$defs/{name}" };

    private static JsonObject AnyOf(params JsonObject[] schemas) => new() { ["anyOf"] = new JsonArray([.. schemas]) };
}
