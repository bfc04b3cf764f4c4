using Google.Protobuf;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Verification;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Reads an ONNX model file into the IR and checks it (every input defined, no cycles, outputs produced). Anything
/// wrong with the file is an <see cref="InvalidInputException"/> naming the file and the problem in one line.
/// </summary>
public static class ModelReader
{
    /// <summary>Nested If/Loop subgraphs go deeper than protobuf's default limit of 100.</summary>
    public const int RecursionLimit = 4096;

    /// <summary>Refuses a path that is not a model file, in the words every command uses (before any other work).</summary>
    public static void CheckModelPath(string path)
    {
        if (Directory.Exists(path)) throw new InvalidInputException($"'{path}' is a folder, not an ONNX model file");
        if (!File.Exists(path)) throw new InvalidInputException($"model file '{path}' does not exist");
    }

    public static Model Read(string path)
    {
        CheckModelPath(path);
        var full = Path.GetFullPath(path);
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var model = Read(stream, Path.GetDirectoryName(full), path);
        model.SourcePath = full;
        return model;
    }

    /// <summary>Reads a model from a stream; <paramref name="baseDirectory"/> is where external data files are looked for.</summary>
    public static Model Read(Stream stream, string? baseDirectory, string displayName = "model")
    {
        var proto = Parse(stream, displayName);
        Model model;
        try
        {
            model = new ProtoImporter(baseDirectory).ImportModel(proto);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{displayName}: {e.Message}", e);
        }
        var problems = ModelVerifier.Verify(model, requireTopologicalOrder: false);
        if (UnimportedDomain(model) is { } unimported) problems = [unimported, .. problems];
        if (problems.Count > 0)
            throw new InvalidInputException($"{displayName}: {problems[0]}" + (problems.Count > 1 ? $" (and {problems.Count - 1} more problems)" : ""));
        return model;
    }

    /// <summary>
    /// ONNX requires an opset import for every operator domain the graph's nodes use; without one no runtime can tell
    /// which version of the operator is meant (ONNX Runtime refuses such a model).
    /// </summary>
    private static string? UnimportedDomain(Model model)
    {
        var imported = model.OpsetImports.Select(o => o.Domain == "ai.onnx" ? "" : o.Domain).ToHashSet(StringComparer.Ordinal);
        // A call of one of the model's own functions is resolved by the function, whatever its domain's import says.
        var local = model.Functions.Select(f => (f.Domain, f.Name)).ToHashSet();
        var node = model.Graph.AllNodes().FirstOrDefault(n => !n.IsDefaultDomain && !imported.Contains(n.Domain) && !local.Contains((n.Domain, n.OpType)));
        return node is null ? null
            : $"{(node.Name.Length > 0 ? $"node '{node.Name}' ({node.OpType})" : $"{node.OpType} node")} uses operator domain '{node.Domain}', which the model does not import (no opset_import for it)";
    }

    internal static ModelProto Parse(Stream stream, string displayName)
    {
        if (stream.CanSeek && stream.Length == 0)
            throw new InvalidInputException($"{displayName} is not an ONNX model: the file is empty (0 bytes), so it has no graph");
        try
        {
            var input = CodedInputStream.CreateWithLimits(stream, int.MaxValue, RecursionLimit);
            var proto = ModelProto.Parser.ParseFrom(input);
            if (proto.Graph is null)
                throw new InvalidInputException($"{displayName} is not an ONNX model: it has no graph");
            return proto;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidInputException($"{displayName} is not a valid ONNX model: {FirstSentence(e.Message)}", e);
        }
    }

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n')[0].Trim();
        var dot = line.IndexOf(". ", StringComparison.Ordinal);
        return (dot > 0 ? line[..dot] : line.TrimEnd('.')).ToLowerInvariant();
    }
}
