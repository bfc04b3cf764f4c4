using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Reads a ModelProto into the IR. The parsed protobuf objects are owned here: the fields the IR models are moved
/// out of them, and what remains (unknown fields, opaque parts, field presence) is kept as the IR object's origin
/// so the writer can reproduce the file byte for byte.
/// </summary>
internal sealed class ProtoImporter(string? baseDirectory)
{
    /// <summary>Names visible in a graph: its own values, then those of enclosing graphs.</summary>
    private sealed class Scope(Scope? outer)
    {
        private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);

        public bool TryAdd(Value v) => _values.TryAdd(v.Name, v);

        public Value? Local(string name) => _values.GetValueOrDefault(name);

        public Value? Resolve(string name) => _values.GetValueOrDefault(name) ?? outer?.Resolve(name);
    }

    public Model ImportModel(ModelProto p)
    {
        if (p.Graph is null) throw new InvalidInputException("the file has no graph (is it an ONNX model?)");
        var graph = ImportGraph(p.Graph, null);
        var model = new Model(graph)
        {
            IrVersion = p.IrVersion,
            ProducerName = p.ProducerName,
            ProducerVersion = p.ProducerVersion,
            Domain = p.Domain,
            ModelVersion = p.ModelVersion,
            DocString = p.DocString,
        };
        model.OpsetImports.AddRange(p.OpsetImport.Select(ImportOpset));
        model.Metadata.AddRange(p.MetadataProps.Select(e => new KeyValuePair<string, string>(e.Key, e.Value)));
        model.Functions.AddRange(p.Functions.Select(ImportFunction));
        p.Graph = null;
        p.OpsetImport.Clear();
        p.MetadataProps.Clear();
        p.Functions.Clear();
        model.Origin = p;
        return model;
    }

    private static OpsetImport ImportOpset(OperatorSetIdProto o) => new(o.Domain, o.Version) { Origin = o };

    private Function ImportFunction(FunctionProto f)
    {
        var body = new Graph(f.Name);
        var scope = new Scope(null);
        foreach (var name in f.Input) Define(scope, body.AddInput(name), "function input");
        ImportNodes(body, f.Node, scope);
        foreach (var name in f.Output) body.AddOutput(Resolve(scope, name, $"output of function '{f.Name}'"));
        ImportValueInfo(body, f.ValueInfo, scope);
        var function = new Function(f.Name, f.Domain, body) { Overload = f.Overload, DocString = f.DocString };
        function.AttributeNames.AddRange(f.Attribute);
        function.AttributeDefaults.AddRange(f.AttributeProto.Select(a => ImportAttribute(a, scope)));
        function.OpsetImports.AddRange(f.OpsetImport.Select(ImportOpset));
        f.Input.Clear();
        f.Output.Clear();
        f.Node.Clear();
        f.ValueInfo.Clear();
        f.Attribute.Clear();
        f.AttributeProto.Clear();
        f.OpsetImport.Clear();
        function.Origin = f;
        return function;
    }

    private Graph ImportGraph(GraphProto p, Scope? outer)
    {
        var graph = new Graph(p.Name) { DocString = p.DocString };
        var scope = new Scope(outer);
        foreach (var init in p.Initializer)
        {
            var value = graph.AddInitializer(TensorCodec.Import(init, baseDirectory));
            Define(scope, value, "initializer");
        }
        foreach (var vi in p.Input)
        {
            var value = scope.Local(vi.Name);
            if (value is { IsInitializer: true, IsGraphInput: false })
                graph.AddInputValue(value);
            else
                value = Define(scope, graph.AddInput(vi.Name), "graph input");
            SetInfo(value, vi);
        }
        foreach (var sparse in p.SparseInitializer)
        {
            var name = sparse.Values?.Name ?? "";
            var value = new Value(name) { Graph = graph };
            graph.SparseInitializers.Add(value);
            Define(scope, value, "sparse initializer");
        }
        ImportNodes(graph, p.Node, scope);
        foreach (var vi in p.Output)
        {
            var value = Resolve(scope, vi.Name, $"output of graph '{p.Name}'");
            var info = ValueInfo(vi);
            graph.AddOutput(value);
            graph.OutputOrigins[^1] = info;
            value.Type ??= info.Type;
        }
        ImportValueInfo(graph, p.ValueInfo, scope);
        p.Node.Clear();
        p.Initializer.Clear();
        p.Input.Clear();
        p.Output.Clear();
        p.ValueInfo.Clear();
        graph.Origin = p;
        return graph;
    }

    private void ImportNodes(Graph graph, IEnumerable<NodeProto> protos, Scope scope)
    {
        var nodes = new List<(Node Node, NodeProto Proto)>();
        foreach (var np in protos)
        {
            var node = new Node(np.OpType, [], np.Output, np.Domain, np.Name) { Overload = np.Overload, DocString = np.DocString };
            graph.Append(node);
            foreach (var output in node.Outputs)
                if (output is not null) Define(scope, output, $"output of {Describe(np)}");
            nodes.Add((node, np));
        }
        foreach (var (node, np) in nodes)
        {
            for (var i = 0; i < np.Input.Count; i++)
            {
                if (np.Input[i].Length == 0 && EmptyInputRules.WhyNotEmpty(np.OpType, np.Domain, np.Name, i) is { } why)
                    throw new InvalidInputException(why);
                node.AddInput(np.Input[i].Length == 0 ? null : Resolve(scope, np.Input[i], $"input of {Describe(np)}"));
            }
            foreach (var a in np.Attribute) node.SetAttribute(ImportAttribute(a, scope));
            np.Input.Clear();
            np.Output.Clear();
            np.Attribute.Clear();
            node.Origin = np;
        }
    }

    private void ImportValueInfo(Graph graph, IEnumerable<ValueInfoProto> infos, Scope scope)
    {
        foreach (var vi in infos)
        {
            var value = scope.Local(vi.Name);
            if (value is null || value.IsGraphInput || value.IsInitializer || value.InfoOrigin is not null)
            {
                // An entry for no value of this graph, or a second declaration: kept as read.
                graph.ValueInfoEntries.Add(vi);
                continue;
            }
            SetInfo(value, vi);
            graph.ValueInfoEntries.Add(value);
        }
    }

    private static void SetInfo(Value value, ValueInfoProto vi)
    {
        var info = ValueInfo(vi);
        value.Type = info.Type ?? value.Type;
        value.InfoOrigin = info;
    }

    private static ValueInfoOrigin ValueInfo(ValueInfoProto vi) => new(vi, vi.Type is null ? null : TypeCodec.Import(vi.Type));

    private Attribute ImportAttribute(AttributeProto a, Scope scope)
    {
        var kind = a.HasType ? (AttributeKind)a.Type : InferKind(a);
        var attribute = new Attribute(a.Name, kind)
        {
            RefAttrName = a.HasRefAttrName ? a.RefAttrName : null,
            DocString = a.DocString,
            Float = a.F,
            Int = a.I,
            Bytes = a.S.ToByteArray(),
            Tensor = a.T is null ? null : TensorCodec.Import(a.T, baseDirectory),
            Floats = a.Floats.ToArray(),
            Ints = a.Ints.ToArray(),
            Strings = a.Strings.Select(s => s.ToByteArray()).ToArray(),
            Tensors = a.Tensors.Select(t => TensorCodec.Import(t, baseDirectory)).ToArray(),
        };
        if (a.G is not null) attribute.Graph = ImportGraph(a.G, scope);
        attribute.Graphs = a.Graphs.Select(g => ImportGraph(g, scope)).ToArray();
        a.T = null;
        a.G = null;
        a.Floats.Clear();
        a.Ints.Clear();
        a.Strings.Clear();
        a.Tensors.Clear();
        a.Graphs.Clear();
        attribute.Origin = a;
        return attribute;
    }

    /// <summary>Files from before attributes carried their type: the kind is whichever field is set.</summary>
    private static AttributeKind InferKind(AttributeProto a) =>
        a.HasF ? AttributeKind.Float : a.HasI ? AttributeKind.Int : a.HasS ? AttributeKind.String : a.T is not null ? AttributeKind.Tensor
        : a.G is not null ? AttributeKind.Graph : a.Floats.Count > 0 ? AttributeKind.Floats : a.Ints.Count > 0 ? AttributeKind.Ints
        : a.Strings.Count > 0 ? AttributeKind.Strings : a.Tensors.Count > 0 ? AttributeKind.Tensors : a.Graphs.Count > 0 ? AttributeKind.Graphs
        : AttributeKind.Undefined;

    private static Value Define(Scope scope, Value value, string what)
    {
        if (!scope.TryAdd(value))
            throw new InvalidInputException($"the name '{value.Name}' is defined twice (again as {what}); ONNX values must have one definition");
        return value;
    }

    private static Value Resolve(Scope scope, string name, string what) =>
        scope.Resolve(name) ?? throw new InvalidInputException($"'{name}', used as {what}, is not defined by any node, input or initializer");

    private static string Describe(NodeProto np) => np.Name.Length > 0 ? $"node '{np.Name}' ({np.OpType})" : $"a {np.OpType} node";
}
