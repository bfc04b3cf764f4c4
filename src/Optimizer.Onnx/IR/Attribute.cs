using System.Text;

namespace Optimizer.Onnx.IR;

/// <summary>Attribute kinds, numbered as ONNX's <c>AttributeProto.AttributeType</c>.</summary>
public enum AttributeKind
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>
/// A node attribute. The value matching <see cref="Kind"/> is set; sparse-tensor and type-proto attributes are kept
/// opaque (carried through unchanged). <see cref="RefAttrName"/> is set inside function bodies for attributes that
/// refer to the caller's attribute.
/// </summary>
public sealed class Attribute
{
    public Attribute(string name, AttributeKind kind)
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; set; }

    public AttributeKind Kind { get; }

    public string? RefAttrName { get; set; }

    public string DocString { get; set; } = "";

    public float Float { get; init; }

    public long Int { get; init; }

    public byte[] Bytes { get; init; } = [];

    public Tensor? Tensor { get; init; }

    public Graph? Graph { get; internal set; }

    public float[] Floats { get; init; } = [];

    public long[] Ints { get; init; } = [];

    public byte[][] Strings { get; init; } = [];

    public IReadOnlyList<Tensor> Tensors { get; init; } = [];

    public IReadOnlyList<Graph> Graphs { get; internal set; } = [];

    /// <summary>The serialized form this attribute was read from (keeps opaque kinds and unknown fields).</summary>
    internal object? Origin { get; set; }

    public string String => Encoding.UTF8.GetString(Bytes);

    public static Attribute FromFloat(string name, float value) => new(name, AttributeKind.Float) { Float = value };

    public static Attribute FromInt(string name, long value) => new(name, AttributeKind.Int) { Int = value };

    public static Attribute FromString(string name, string value) => new(name, AttributeKind.String) { Bytes = Encoding.UTF8.GetBytes(value) };

    public static Attribute FromFloats(string name, IEnumerable<float> values) => new(name, AttributeKind.Floats) { Floats = values.ToArray() };

    public static Attribute FromInts(string name, IEnumerable<long> values) => new(name, AttributeKind.Ints) { Ints = values.ToArray() };

    public static Attribute FromStrings(string name, IEnumerable<string> values) =>
        new(name, AttributeKind.Strings) { Strings = values.Select(Encoding.UTF8.GetBytes).ToArray() };

    public static Attribute FromTensor(string name, Tensor value) => new(name, AttributeKind.Tensor) { Tensor = value };

    public static Attribute FromGraph(string name, Graph value) => new(name, AttributeKind.Graph) { Graph = value };

    public static Attribute FromGraphs(string name, IEnumerable<Graph> values) => new(name, AttributeKind.Graphs) { Graphs = values.ToArray() };

    /// <summary>The subgraphs this attribute holds (none, one or several).</summary>
    public IEnumerable<Graph> Subgraphs => Kind switch
    {
        AttributeKind.Graph when Graph is not null => [Graph],
        AttributeKind.Graphs => Graphs,
        _ => [],
    };

    public override string ToString() => Kind switch
    {
        AttributeKind.Float => Float.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.Int => Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.String => "\"" + String + "\"",
        AttributeKind.Floats => "[" + string.Join(",", Floats.Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
        AttributeKind.Ints => "[" + string.Join(",", Ints) + "]",
        AttributeKind.Strings => "[" + string.Join(",", Strings.Select(s => "\"" + Encoding.UTF8.GetString(s) + "\"")) + "]",
        AttributeKind.Tensor => "tensor " + Tensor,
        AttributeKind.Graph => "graph " + Graph?.Name,
        AttributeKind.Graphs => "graphs [" + string.Join(",", Graphs.Select(g => g.Name)) + "]",
        AttributeKind.Tensors => "tensors [" + string.Join(",", Tensors) + "]",
        _ => Kind.ToString().ToLowerInvariant(),
    } + (RefAttrName is null ? "" : $" @{RefAttrName}");
}
