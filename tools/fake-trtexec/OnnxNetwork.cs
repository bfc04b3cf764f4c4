using Optimizer.Onnx.Protobuf;

namespace FakeTrtexec;

/// <summary>A tensor the network reads: its name, element type and dims (null for a dynamic dim).</summary>
internal sealed record NetworkInput(string Name, int ElementType, IReadOnlyList<long?> Dims);

/// <summary>
/// What TensorRT's ONNX parser makes of a model: inputs, outputs, nodes, constants and element types. Built from the
/// project's protobuf classes; <see cref="OnnxChecks"/> refuses what TensorRT could not import.
/// </summary>
internal sealed class OnnxNetwork
{
    private OnnxNetwork(ModelProto model)
    {
        Model = model;
        var graph = model.Graph;
        // The parser imports If branches and Loop bodies as conditional and loop layers holding their nodes' layers.
        _nodes = AllNodes(graph).ToList();
        foreach (var t in AllGraphs(graph).SelectMany(g => g.Initializer)) Constants[t.Name] = t;
        foreach (var node in _nodes.Where(n => n.OpType == "Constant"))
            if (node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } value) Constants[node.Output[0]] = value;
        foreach (var node in _nodes)
            foreach (var output in node.Output) Producers[output] = node;
        Inputs = graph.Input.Where(i => !Constants.ContainsKey(i.Name)).Select(ToInput).ToList();
        Outputs = graph.Output.Select(o => o.Name).ToList();
        ElementTypes = TypePropagation.Run(this);
    }

    public ModelProto Model { get; }
    public IReadOnlyList<NetworkInput> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public Dictionary<string, TensorProto> Constants { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, NodeProto> Producers { get; } = new(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, int> ElementTypes { get; }
    private readonly List<NodeProto> _nodes;

    /// <summary>Every node: the main graph's, then those of the subgraphs they hold.</summary>
    public IEnumerable<NodeProto> Nodes => _nodes;

    private static IEnumerable<GraphProto> AllGraphs(GraphProto graph)
    {
        yield return graph;
        foreach (var sub in graph.Node.SelectMany(n => n.Attribute).SelectMany(a => a.G is { } g ? [g] : a.Graphs.ToArray()))
            foreach (var inner in AllGraphs(sub)) yield return inner;
    }

    private static IEnumerable<NodeProto> AllNodes(GraphProto graph) => AllGraphs(graph).SelectMany(g => g.Node);

    public bool HasQdq => Nodes.Any(IsQdq);

    public static bool IsQdq(NodeProto node) => node.OpType is "QuantizeLinear" or "DequantizeLinear";

    public static OnnxNetwork Load(string path) => new(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)));

    /// <summary>The layer name TensorRT gives a node: its name, or op type and index when it has none.</summary>
    /// <summary>As TensorRT's ONNX parser names layers: the node's name, or "node_of_" and its first output.</summary>
    public string LayerName(NodeProto node) =>
        node.Name.Length > 0 || node.Output.Count == 0 ? node.Name : "node_of_" + node.Output[0];

    public NodeProto? ProducerOf(string tensor) => Producers.GetValueOrDefault(tensor);

    /// <summary>A tensor that is constant: an initializer, a Constant output, or a Q/DQ of a constant (folded weights).</summary>
    public bool IsConstant(string tensor) =>
        Constants.ContainsKey(tensor) || (ProducerOf(tensor) is { } p && IsQdq(p) && IsConstant(p.Input[0]));

    private static NetworkInput ToInput(ValueInfoProto info)
    {
        var tensor = info.Type?.TensorType;
        var dims = tensor?.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : (long?)null).ToList() ?? [];
        return new NetworkInput(info.Name, tensor?.ElemType ?? 1, dims);
    }
}
