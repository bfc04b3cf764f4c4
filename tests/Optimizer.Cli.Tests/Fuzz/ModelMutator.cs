using Google.Protobuf;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Cli.Tests.Fuzz;

/// <summary>
/// Seeded, deterministic mutants of an ONNX file: byte mutations of the protobuf (bit flips, truncation, inserted and
/// overwritten bytes) and structural ones (a node input deleted, a dim made 0, -1 or huge, an initializer dropped, an
/// attribute of the wrong type, a duplicated output name, a cycle, an unknown op, an odd opset). The structural ones
/// edit the protobuf message, not the IR: the IR refuses to hold most of these graphs, and the point is to see the
/// reader refuse them too. The same (file, seed) always gives the same bytes and the same description.
/// </summary>
public static class ModelMutator
{
    public sealed record Mutant(byte[] Bytes, string Description);

    private static readonly string[] Kinds =
    [
        "flip", "truncate", "insert", "overwrite",
        "drop-input", "dim", "drop-initializer", "attribute-type", "duplicate-output", "cycle", "op-type", "opset", "initializer-dims",
    ];

    public static Mutant Mutate(byte[] source, int seed)
    {
        var random = new Random(seed);
        var kind = Kinds[random.Next(Kinds.Length)];
        if (kind is "flip" or "truncate" or "insert" or "overwrite") return Bytes(source, kind, random);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(source);
        }
        catch (InvalidProtocolBufferException)
        {
            return Bytes(source, "flip", random);
        }
        model.Graph ??= new GraphProto();
        // A model with nothing to apply the mutation to gets bit flips instead.
        return Structural(model, kind, random) is { } description ? new Mutant(model.ToByteArray(), description) : Bytes(source, "flip", random);
    }

    private static Mutant Bytes(byte[] source, string kind, Random random)
    {
        var bytes = source.ToList();
        var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (kind)
        {
            case "flip":
                var flips = 1 + random.Next(8);
                for (var i = 0; i < flips && bytes.Count > 0; i++)
                {
                    var p = random.Next(bytes.Count);
                    bytes[p] ^= (byte)(1 << random.Next(8));
                }
                return new Mutant([.. bytes], $"flip {flips} bit(s)");
            case "truncate":
                return new Mutant([.. bytes.Take(at)], $"truncate at {at} of {bytes.Count}");
            case "insert":
                var inserted = new byte[1 + random.Next(16)];
                random.NextBytes(inserted);
                bytes.InsertRange(at, inserted);
                return new Mutant([.. bytes], $"insert {inserted.Length} byte(s) at {at}");
            default:
                var length = Math.Min(1 + random.Next(32), bytes.Count - at);
                var fill = random.Next(3);
                for (var i = 0; i < length; i++) bytes[at + i] = fill switch { 0 => 0, 1 => 0xFF, _ => (byte)random.Next(256) };
                return new Mutant([.. bytes], $"overwrite {length} byte(s) at {at}");
        }
    }

    /// <summary>Edits <paramref name="model"/>; null when the model has nothing to apply <paramref name="kind"/> to.</summary>
    private static string? Structural(ModelProto model, string kind, Random random)
    {
        var graph = model.Graph;
        var nodes = graph.Node;
        NodeProto? Node() => nodes.Count == 0 ? null : nodes[random.Next(nodes.Count)];
        switch (kind)
        {
            case "drop-input" when Node() is { Input.Count: > 0 } node:
                var which = random.Next(node.Input.Count);
                if (random.Next(2) == 0) node.Input[which] = "";
                else node.Input.RemoveAt(which);
                return $"drop input {which} of {node.OpType} '{node.Name}'";
            case "dim":
                var typed = graph.Input.Concat(graph.Output).Concat(graph.ValueInfo)
                    .Where(v => v.Type?.TensorType?.Shape is { Dim.Count: > 0 }).ToList();
                if (typed.Count == 0) return null;
                var value = typed[random.Next(typed.Count)];
                var dims = value.Type.TensorType.Shape.Dim;
                var d = random.Next(dims.Count);
                long[] choices = [0, -1, long.MaxValue, 1L << 40, 3];
                var newDim = choices[random.Next(choices.Length)];
                dims[d] = new TensorShapeProto.Types.Dimension { DimValue = newDim };
                return $"dim {d} of '{value.Name}' = {newDim}";
            case "initializer-dims" when graph.Initializer.Count > 0:
                var init = graph.Initializer[random.Next(graph.Initializer.Count)];
                long[] sizes = [0, -1, 1L << 33, 7];
                var size = sizes[random.Next(sizes.Length)];
                if (init.Dims.Count == 0 || random.Next(3) == 0) init.Dims.Add(size);
                else init.Dims[random.Next(init.Dims.Count)] = size;
                return $"initializer '{init.Name}' dims [{string.Join(",", init.Dims)}]";
            case "drop-initializer" when graph.Initializer.Count > 0:
                var dropped = random.Next(graph.Initializer.Count);
                var name = graph.Initializer[dropped].Name;
                graph.Initializer.RemoveAt(dropped);
                return $"drop initializer '{name}'";
            case "attribute-type" when nodes.Where(n => n.Attribute.Count > 0).ToList() is { Count: > 0 } withAttributes:
                var owner = withAttributes[random.Next(withAttributes.Count)];
                var attribute = owner.Attribute[random.Next(owner.Attribute.Count)];
                var types = Enum.GetValues<AttributeProto.Types.AttributeType>();
                var type = types[random.Next(types.Length)];
                attribute.Type = type;
                if (random.Next(2) == 0)
                {
                    // The value moved to the field of the new type as well, or cleared.
                    attribute.ClearI();
                    attribute.Ints.Clear();
                    if (type == AttributeProto.Types.AttributeType.String) attribute.S = ByteString.CopyFromUtf8("x");
                    if (type == AttributeProto.Types.AttributeType.Floats) attribute.Floats.Add(float.NaN);
                }
                return $"attribute '{attribute.Name}' of {owner.OpType} typed {type}";
            case "duplicate-output" when nodes.Count > 0:
                var target = Node()!;
                var other = random.Next(3) == 0 && graph.Output.Count > 0 ? graph.Output[0].Name
                    : random.Next(2) == 0 && graph.Input.Count > 0 ? graph.Input[0].Name : Node()!.Output.FirstOrDefault() ?? "x";
                if (target.Output.Count == 0) target.Output.Add(other);
                else target.Output[0] = other;
                if (random.Next(2) == 0 && graph.Output.Count > 0) graph.Output.Add(graph.Output[0].Clone());
                return $"output of {target.OpType} '{target.Name}' named '{other}'";
            case "cycle" when nodes.Count > 0 && nodes.Any(n => n.Output.Count > 0):
                var first = random.Next(nodes.Count);
                var last = nodes.Count - 1 - random.Next(nodes.Count - first);
                var later = nodes.Skip(last).FirstOrDefault(n => n.Output.Count > 0) ?? nodes.Last(n => n.Output.Count > 0);
                if (nodes[first].Input.Count == 0) nodes[first].Input.Add(later.Output[0]);
                else nodes[first].Input[random.Next(nodes[first].Input.Count)] = later.Output[0];
                return $"cycle: node {first} reads '{later.Output[0]}'";
            case "op-type" when Node() is { } renamed:
                string[] ops = ["NoSuchOp", "Loop", "If", "Reshape", "Conv", "Identity", ""];
                var op = ops[random.Next(ops.Length)];
                var was = renamed.OpType;
                renamed.OpType = op;
                if (random.Next(4) == 0) renamed.Domain = "com.example";
                return $"op {was} -> '{op}'";
            case "opset" when model.OpsetImport.Count > 0:
                long[] versions = [0, 1, 6, 99999, -3];
                var version = versions[random.Next(versions.Length)];
                model.OpsetImport[0].Version = version;
                if (random.Next(3) == 0) model.IrVersion = versions[random.Next(versions.Length)];
                return $"opset {version}, ir {model.IrVersion}";
        }
        return null;
    }
}
