using Optimizer.Onnx.IR;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.TestKit;

/// <summary>
/// Builds small models in a few lines for tests:
/// <code>
/// var b = new GraphBuilder();
/// var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
/// var y = b.Op("Relu", [x]);
/// b.Output(y);
/// var model = b.Build();
/// </code>
/// Dimensions are numbers or symbolic names ("batch"). Random data comes from one seeded generator.
/// </summary>
public sealed class GraphBuilder
{
    private readonly Random _random;
    private int _counter;

    public GraphBuilder(long opset = 17, int seed = 1234, string graphName = "test")
    {
        Graph = new Graph(graphName);
        Model = new Model(Graph) { IrVersion = 8, ProducerName = "Optimizer.TestKit" };
        Model.OpsetImports.Add(new OpsetImport("", opset));
        _random = new Random(seed);
    }

    public Model Model { get; }

    public Graph Graph { get; }

    public Random Random => _random;

    public static Shape ShapeOf(params object[] dims) => new(dims.Select(d => d switch
    {
        string s => Dim.Symbol(s),
        int i => Dim.Of(i),
        long l => Dim.Of(l),
        null => Dim.Unknown,
        _ => throw new ArgumentException($"dimension {d} must be a number or a name"),
    }));

    public Value Input(string name, ElementType type, params object[] dims) => Graph.AddInput(name, new TensorTypeInfo(type, ShapeOf(dims)));

    public Value Initializer(Tensor tensor) => Graph.AddInitializer(tensor);

    public Value Initializer<T>(string name, T[] values, params long[] dims) where T : unmanaged => Graph.AddInitializer(Tensor.FromArray(name, values, dims));

    /// <summary>A float initializer of uniform random values in [-scale, scale).</summary>
    public Value RandomInitializer(string name, float scale, params long[] dims) => Initializer(name, RandomFloats(dims, scale), dims);

    public float[] RandomFloats(long[] dims, float scale = 1f)
    {
        var n = dims.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (var i = 0; i < n; i++) data[i] = (float)((_random.NextDouble() * 2 - 1) * scale);
        return data;
    }

    /// <summary>A Constant node holding <paramref name="tensor"/>; returns its output.</summary>
    public Value Constant(Tensor tensor, string? name = null)
    {
        var output = name ?? Graph.UniqueValueName("const");
        tensor.Name = output;
        return Graph.AddNode("Constant", [], [output], [Attribute.FromTensor("value", tensor)], name: Graph.UniqueNodeName("Constant")).Output();
    }

    /// <summary>Appends a node with one output and returns that output.</summary>
    public Value Op(string opType, IEnumerable<Value?> inputs, params (string Name, object Value)[] attributes) =>
        Node(opType, inputs, 1, attributes).Output();

    /// <summary>Appends a node with <paramref name="outputs"/> outputs and returns the node.</summary>
    public Node Node(string opType, IEnumerable<Value?> inputs, int outputs, params (string Name, object Value)[] attributes) =>
        NodeIn(Graph, opType, inputs, outputs, attributes);

    public Node NodeIn(Graph graph, string opType, IEnumerable<Value?> inputs, int outputs, (string Name, object Value)[] attributes, string domain = "")
    {
        var id = ++_counter;
        var names = Enumerable.Range(0, outputs).Select(i => Graph.UniqueValueName($"{opType.ToLowerInvariant()}{id}" + (outputs > 1 ? $"_{i}" : ""))).ToArray();
        return graph.AddNode(opType, inputs, names, attributes.Select(a => ToAttribute(a.Name, a.Value)), domain, Graph.UniqueNodeName($"{opType}_{id}"));
    }

    public void Output(params Value[] values)
    {
        foreach (var v in values) Graph.AddOutput(v);
    }

    public Model Build() => Model;

    public static Attribute ToAttribute(string name, object value) => value switch
    {
        int i => Attribute.FromInt(name, i),
        long l => Attribute.FromInt(name, l),
        float f => Attribute.FromFloat(name, f),
        double d => Attribute.FromFloat(name, (float)d),
        string s => Attribute.FromString(name, s),
        int[] ints => Attribute.FromInts(name, ints.Select(i => (long)i)),
        long[] longs => Attribute.FromInts(name, longs),
        float[] floats => Attribute.FromFloats(name, floats),
        string[] strings => Attribute.FromStrings(name, strings),
        Tensor t => Attribute.FromTensor(name, t),
        Graph g => Attribute.FromGraph(name, g),
        Attribute a => a,
        _ => throw new ArgumentException($"attribute {name}: unsupported value {value.GetType().Name}"),
    };
}
