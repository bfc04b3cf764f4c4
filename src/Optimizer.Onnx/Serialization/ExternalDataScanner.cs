using System.Text;
using Optimizer.Onnx.Errors;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Lists the external-data locations a model file names (initializers, sparse initializers, tensor attributes, in
/// every subgraph and function), by walking the protobuf wire format and skipping tensor data instead of loading it:
/// cheap enough to run before ONNX Runtime opens a model of any size, so that the paths ONNX Runtime will follow
/// pass <see cref="ExternalDataPaths.Resolve"/> first. On the way it reads each node's inputs, for the empty input
/// names ONNX Runtime mishandles (<see cref="EmptyInputRules"/>).
/// </summary>
internal static class ExternalDataScanner
{
    private enum Kind { Model, Graph, Node, Attribute, Function, Sparse, Tensor, Entry }

    /// <summary>What a scan found: the external-data locations, and the node problems with empty input names.</summary>
    public sealed class Result
    {
        public List<(string Tensor, string Location)> External { get; } = [];

        /// <summary>Some node's input list ends in empty names (valid ONNX, which ONNX Runtime 1.31 can crash on).</summary>
        public bool TrailingEmptyInputs { get; set; }

        /// <summary>The first node with an empty name where ONNX allows none, described; null when there is none.</summary>
        public string? InvalidEmptyInput { get; set; }
    }

    public static Result Scan(Stream stream)
    {
        var reader = new Reader(stream);
        var result = new Result();
        reader.Message(Kind.Model, stream.Length, result, depth: 0);
        return result;
    }

    /// <summary>The message kind field <paramref name="field"/> of a <paramref name="kind"/> holds, when it leads to tensors.</summary>
    private static Kind? Child(Kind kind, int field) => (kind, field) switch
    {
        (Kind.Model, 7) => Kind.Graph,
        (Kind.Model, 25) => Kind.Function,
        (Kind.Graph, 1) => Kind.Node,
        (Kind.Graph, 5) => Kind.Tensor,
        (Kind.Graph, 15) => Kind.Sparse,
        (Kind.Node, 5) => Kind.Attribute,
        (Kind.Function, 7) => Kind.Node,
        (Kind.Function, 11) => Kind.Attribute,
        (Kind.Attribute, 5 or 10) => Kind.Tensor,
        (Kind.Attribute, 6 or 11) => Kind.Graph,
        (Kind.Attribute, 22 or 23) => Kind.Sparse,
        (Kind.Sparse, 1 or 2) => Kind.Tensor,
        (Kind.Tensor, 13) => Kind.Entry,
        _ => null,
    };

    private sealed class Reader(Stream stream)
    {
        private readonly Stream _stream = stream;

        /// <summary>Reads fields up to <paramref name="end"/>; for a tensor, returns its name, whether it is external and its location.</summary>
        public (string Name, bool External, string? Location, string? Key, string? Value) Message(Kind kind, long end, Result found, int depth)
        {
            List<string>? inputs = kind == Kind.Node ? [] : null;
            string opType = "", domain = "", nodeName = "";
            if (depth > ModelReader.RecursionLimit) throw Corrupt("it nests deeper than " + ModelReader.RecursionLimit + " levels");
            string name = "", location = null!, key = null!, value = null!;
            var external = false;
            var hasLocation = false;
            while (_stream.Position < end)
            {
                var tag = Varint();
                var field = (int)(tag >> 3);
                switch (tag & 7)
                {
                    case 0:
                        var number = Varint();
                        if (kind == Kind.Tensor && field == 14) external = number == 1;
                        break;
                    case 1: Skip(8, end); break;
                    case 5: Skip(4, end); break;
                    case 2:
                        var length = (long)Varint();
                        if (length < 0 || _stream.Position + length > end) throw Corrupt("a field runs past the end of its message");
                        var fieldEnd = _stream.Position + length;
                        if (kind == Kind.Tensor && field == 8) name = String(length);
                        else if (kind == Kind.Node && field is 1 or 3 or 4 or 7)
                        {
                            var text = String(length);
                            if (field == 1) inputs!.Add(text);
                            else if (field == 3) nodeName = text;
                            else if (field == 4) opType = text;
                            else domain = text;
                        }
                        else if (kind == Kind.Entry && field is 1 or 2)
                        {
                            if (field == 1) key = String(length); else value = String(length);
                        }
                        else if (Child(kind, field) is { } child)
                        {
                            var inner = Message(child, fieldEnd, found, depth + 1);
                            if (child == Kind.Entry && inner.Key == "location")
                            {
                                location = inner.Value ?? "";
                                hasLocation = true;
                            }
                        }
                        _stream.Position = fieldEnd;
                        break;
                    default: throw Corrupt($"field {field} has wire type {tag & 7}, which ONNX models do not use");
                }
            }
            if (kind == Kind.Tensor && external && hasLocation) found.External.Add((name, location));
            if (inputs is not null) Check(opType, domain, nodeName, inputs, found);
            return (name, external, hasLocation ? location : null, key, value);
        }

        private static void Check(string opType, string domain, string nodeName, List<string> inputs, Result found)
        {
            found.TrailingEmptyInputs |= EmptyInputRules.EndsEmpty(inputs);
            for (var i = 0; i < inputs.Count && found.InvalidEmptyInput is null; i++)
                if (inputs[i].Length == 0 && EmptyInputRules.WhyNotEmpty(opType, domain, nodeName, i) is { } why)
                    found.InvalidEmptyInput = why;
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = _stream.ReadByte();
                if (b < 0) throw Corrupt("it ends in the middle of a field");
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw Corrupt("a number is longer than 10 bytes");
        }

        private void Skip(long count, long end)
        {
            if (_stream.Position + count > end) throw Corrupt("a field runs past the end of its message");
            _stream.Position += count;
        }

        private string String(long length)
        {
            var bytes = new byte[length];
            _stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        private static InvalidInputException Corrupt(string why) => new($"not a valid ONNX model: {why}");
    }
}
