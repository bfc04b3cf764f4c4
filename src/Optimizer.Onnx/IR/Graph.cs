namespace Optimizer.Onnx.IR;

/// <summary>
/// A graph: ordered nodes, inputs, outputs and initializers. Subgraphs (If/Loop/Scan bodies) are graphs of the same
/// kind whose <see cref="ParentNode"/> is the node holding them; their nodes may use values of enclosing graphs.
/// Every structural change goes through this class or <see cref="Node"/>, which keep producers and uses consistent.
/// </summary>
public sealed partial class Graph
{
    private readonly List<Node> _nodes = [];
    /// <summary>How many nodes left since <see cref="_nodes"/> was last compacted (removal only marks, so it stays linear).</summary>
    private int _detached;
    private readonly List<Value> _inputs = [];
    private readonly List<Value> _outputs = [];
    private readonly List<Value> _initializers = [];
    private NameRegistry? _names;

    public Graph(string name = "") => Name = name;

    public string Name { get; set; }

    public string DocString { get; set; } = "";

    public IReadOnlyList<Node> Nodes => NodeList;

    /// <summary>The nodes, without those removed since the last look: removing many nodes costs one sweep, not one each.</summary>
    private List<Node> NodeList
    {
        get
        {
            if (_detached > 0)
            {
                _nodes.RemoveAll(n => n.Graph != this);
                _detached = 0;
            }
            return _nodes;
        }
    }

    public IReadOnlyList<Value> Inputs => _inputs;

    public IReadOnlyList<Value> Outputs => _outputs;

    public IReadOnlyList<Value> Initializers => _initializers;

    /// <summary>The node whose attribute holds this graph, or null for a main graph or function body.</summary>
    public Node? ParentNode { get; private set; }

    /// <summary>The enclosing graph of a subgraph.</summary>
    public Graph? Parent => ParentNode?.Graph;

    public Graph Root => Parent?.Root ?? this;

    /// <summary>
    /// Whether a graph input of the same name overrides an initializer (IR version 4 and later, the default). Set by
    /// the <see cref="Model"/> on its main graph; subgraphs follow their root. See <see cref="Value.IsOverridable"/>.
    /// </summary>
    public bool InputsOverrideInitializers { get; internal set; } = true;

    /// <summary>The serialized form this graph was read from (keeps annotations, sparse initializers, unknown fields).</summary>
    internal object? Origin { get; set; }

    /// <summary>value_info entries in file order: a <see cref="Value"/>, or an entry naming no value, kept as read.</summary>
    internal List<object> ValueInfoEntries { get; } = [];

    /// <summary>The ValueInfoProto each output was read from (null for outputs added since), parallel to <see cref="Outputs"/>.</summary>
    internal List<object?> OutputOrigins { get; } = [];

    /// <summary>Names defined by sparse initializers (kept opaque in <see cref="Origin"/>).</summary>
    internal List<Value> SparseInitializers { get; } = [];

    internal void AttachTo(Node parent) => ParentNode = parent;

    // ---- inputs, outputs, initializers ----

    public Value AddInput(string name, TypeInfo? type = null)
    {
        var value = new Value(name, type) { Graph = this, IsGraphInput = true };
        _inputs.Add(value);
        Root._names?.Add(name);
        return value;
    }

    /// <summary>Makes an existing value (an initializer) also a graph input, as models before IR version 4 do.</summary>
    public void AddInputValue(Value value)
    {
        value.IsGraphInput = true;
        _inputs.Add(value);
    }

    /// <summary>
    /// Takes the initializers off the input list, where IR version 3 required them: done when a model is raised to IR 4
    /// or later, where a listed initializer would become a default the caller may override. Returns how many.
    /// </summary>
    public int UnlistInitializerInputs()
    {
        var listed = _inputs.Where(v => v.IsInitializer).ToList();
        foreach (var v in listed)
        {
            _inputs.Remove(v);
            v.IsGraphInput = false;
        }
        return listed.Count;
    }

    public void RemoveInput(Value value)
    {
        if (value.Uses.Count > 0) throw new InvalidOperationException($"graph input '{value.Name}' is still used");
        if (!_inputs.Remove(value)) throw new InvalidOperationException($"'{value.Name}' is not an input of graph '{Name}'");
        value.IsGraphInput = false;
    }

    public void AddOutput(Value value)
    {
        _outputs.Add(value);
        OutputOrigins.Add(null);
        value.GraphOutputCount++;
    }

    public void SetOutput(int index, Value value)
    {
        _outputs[index].GraphOutputCount--;
        _outputs[index] = value;
        OutputOrigins[index] = null;
        value.GraphOutputCount++;
    }

    public void RemoveOutputAt(int index)
    {
        _outputs[index].GraphOutputCount--;
        _outputs.RemoveAt(index);
        OutputOrigins.RemoveAt(index);
    }

    internal void ReplaceOutputs(Value old, Value replacement)
    {
        for (var i = 0; i < _outputs.Count; i++)
            if (ReferenceEquals(_outputs[i], old)) SetOutput(i, replacement);
    }

    /// <summary>Adds an initializer; its value takes the tensor's name, which must be new in this graph.</summary>
    public Value AddInitializer(Tensor tensor, TypeInfo? type = null)
    {
        var value = new Value(tensor.Name, type ?? new TensorTypeInfo(tensor.ElementType, new Shape(tensor.Dims.ToArray())))
        {
            Graph = this,
            Initializer = tensor,
        };
        _initializers.Add(value);
        Root._names?.Add(tensor.Name);
        return value;
    }

    /// <summary>Removes an unused initializer (and its graph input entry, for old models). Refuses if still used.</summary>
    public void RemoveInitializer(Value value)
    {
        if (value.Uses.Count > 0 || value.IsGraphOutput) throw new InvalidOperationException($"initializer '{value.Name}' is still used");
        if (!_initializers.Remove(value)) throw new InvalidOperationException($"'{value.Name}' is not an initializer of graph '{Name}'");
        if (value.IsGraphInput)
        {
            _inputs.Remove(value);
            value.IsGraphInput = false;
        }
        value.Initializer = null;
    }

    // ---- nodes ----

    /// <summary>Creates a node with new output values and appends it.</summary>
    public Node AddNode(string opType, IEnumerable<Value?> inputs, IEnumerable<string> outputNames, IEnumerable<Attribute>? attributes = null,
        string domain = "", string name = "")
    {
        var node = new Node(opType, inputs, outputNames, domain, name);
        foreach (var a in attributes ?? []) node.SetAttribute(a);
        Append(node);
        return node;
    }

    public void Append(Node node) => Insert(NodeList.Count, node);

    public void InsertBefore(Node anchor, Node node) => Insert(IndexOf(anchor), node);

    public void InsertAfter(Node anchor, Node node) => Insert(IndexOf(anchor) + 1, node);

    public int IndexOf(Node node)
    {
        var i = node.Graph == this ? NodeList.IndexOf(node) : -1;
        return i >= 0 ? i : throw new InvalidOperationException($"{node} is not in graph '{Name}'");
    }

    private void Insert(int index, Node node)
    {
        var nodes = NodeList;
        if (node.Graph is not null) throw new InvalidOperationException($"{node} already belongs to graph '{node.Graph.Name}'");
        node.Graph = this;
        foreach (var output in node.Outputs)
        {
            if (output is null) continue;
            output.Graph = this;
            Root._names?.Add(output.Name);
        }
        foreach (var g in node.Subgraphs) g.AttachTo(node);
        if (node.Name.Length > 0) Root._names?.Add(node.Name);
        if (Root._names is { } names)
            foreach (var g in node.Subgraphs) names.AddAll(g);
        nodes.Insert(index, node);
    }

    /// <summary>
    /// Removes the nodes, all or nothing: refuses (graph unchanged) when an output of a removed node is still used
    /// by a node that stays, or is a graph output. Uses made by the removed nodes (and their subgraphs) disappear.
    /// </summary>
    public void RemoveNodes(IEnumerable<Node> nodes)
    {
        var removed = nodes.ToHashSet();
        foreach (var node in removed)
        {
            if (node.Graph != this) throw new InvalidOperationException($"{node} is not in graph '{Name}'");
            foreach (var output in node.Outputs)
            {
                if (output is null) continue;
                if (output.IsGraphOutput)
                    throw new InvalidOperationException($"cannot remove {node}: its output '{output.Name}' is a graph output");
                foreach (var use in output.Uses)
                    if (!removed.Contains(OwnerIn(use.Node)))
                        throw new InvalidOperationException($"cannot remove {node}: its output '{output.Name}' is still used by {use.Node}");
            }
        }
        foreach (var node in removed)
        {
            DetachRecursively(node);
            node.Graph = null;
        }
        _detached += removed.Count;
    }

    public void RemoveNode(Node node) => RemoveNodes([node]);

    /// <summary>The node of this graph that is, or (through subgraphs) contains, <paramref name="node"/>.</summary>
    private Node OwnerIn(Node node)
    {
        var current = node;
        while (current.Graph is { } g && g != this && g.ParentNode is { } parent) current = parent;
        return current;
    }

    private static void DetachRecursively(Node node)
    {
        node.DetachInputs();
        foreach (var g in node.Subgraphs)
            foreach (var inner in g.NodeList)
                DetachRecursively(inner);
    }

    // ---- traversal ----

    /// <summary>This graph's nodes and, recursively, the nodes of their subgraphs (each node before its subgraphs' nodes).</summary>
    public IEnumerable<Node> AllNodes()
    {
        // An explicit stack: nested iterators would cost one step per level of nesting for every node.
        var stack = new Stack<IEnumerator<Node>>();
        stack.Push(((IEnumerable<Node>)NodeList).GetEnumerator());
        try
        {
            while (stack.Count > 0)
            {
                var top = stack.Peek();
                if (!top.MoveNext())
                {
                    stack.Pop().Dispose();
                    continue;
                }
                var node = top.Current;
                yield return node;
                var subgraphs = node.Subgraphs.ToList();
                for (var i = subgraphs.Count - 1; i >= 0; i--)
                    stack.Push(((IEnumerable<Node>)subgraphs[i].NodeList).GetEnumerator());
            }
        }
        finally
        {
            while (stack.Count > 0) stack.Pop().Dispose();
        }
    }

    /// <summary>This graph and, recursively, every subgraph (each graph before the subgraphs of its nodes).</summary>
    public IEnumerable<Graph> AllGraphs()
    {
        var stack = new Stack<Graph>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var g = stack.Pop();
            yield return g;
            var children = g.NodeList.SelectMany(n => n.Subgraphs).ToList();
            for (var i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
        }
    }

    /// <summary>Every value this graph defines: inputs, initializers, sparse initializers and node outputs.</summary>
    public IEnumerable<Value> DefinedValues()
    {
        foreach (var v in _inputs) yield return v;
        foreach (var v in _initializers) if (!v.IsGraphInput) yield return v;
        foreach (var v in SparseInitializers) yield return v;
        foreach (var n in NodeList)
            foreach (var o in n.Outputs)
                if (o is not null) yield return o;
    }

    /// <summary>Finds a value this graph defines by name (not looking into enclosing graphs).</summary>
    public Value? FindValue(string name) => DefinedValues().FirstOrDefault(v => v.Name == name);

    // ---- names ----

    /// <summary>A value name not used anywhere in the model's graph tree, based on <paramref name="hint"/>.</summary>
    public string UniqueValueName(string hint) => RootNames().Make(hint);

    public string UniqueNodeName(string hint) => RootNames().Make(hint);

    private NameRegistry RootNames()
    {
        var root = Root;
        return root._names ??= NameRegistry.Collect(root);
    }

    public override string ToString() => $"graph '{Name}' ({NodeList.Count} nodes)";
}
