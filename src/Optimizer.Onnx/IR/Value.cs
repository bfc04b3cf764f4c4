namespace Optimizer.Onnx.IR;

/// <summary>One place a value is consumed: input <paramref name="InputIndex"/> of <paramref name="Node"/>.</summary>
public readonly record struct Use(Node Node, int InputIndex);

/// <summary>
/// A named value of a graph (static single assignment): a graph input, an initializer, or a node output. The IR
/// itself keeps <see cref="Producer"/> and <see cref="Uses"/> up to date, so no pass can forget to.
/// A node inside a subgraph may use a value of an enclosing graph; that use is listed here too.
/// </summary>
public sealed class Value
{
    private readonly List<Use> _uses = [];

    public Value(string name, TypeInfo? type = null)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; set; }

    public TypeInfo? Type { get; set; }

    /// <summary>The node that produces this value, or null for graph inputs and initializers.</summary>
    public Node? Producer { get; internal set; }

    public int ProducerOutputIndex { get; internal set; }

    /// <summary>The graph that defines this value (its producer's graph, or the graph it is an input or initializer of).</summary>
    public Graph? Graph { get; internal set; }

    /// <summary>The constant data of an initializer; null for other values.</summary>
    public Tensor? Initializer { get; internal set; }

    public IReadOnlyList<Use> Uses => _uses;

    /// <summary>How many times this value is listed among its graph's outputs.</summary>
    public int GraphOutputCount { get; internal set; }

    public bool IsGraphOutput => GraphOutputCount > 0;

    public bool IsGraphInput { get; internal set; }

    public bool IsInitializer => Initializer is not null;

    /// <summary>Doc string and metadata from the value's ValueInfoProto, kept for writing back.</summary>
    internal object? InfoOrigin { get; set; }

    public TensorTypeInfo? TensorType => Type as TensorTypeInfo;

    public Shape? Shape => TensorType?.Shape;

    public ElementType ElementType => TensorType?.ElementType ?? ElementType.Undefined;

    internal void AddUse(Node node, int index) => _uses.Add(new Use(node, index));

    internal void RemoveUse(Node node, int index)
    {
        var i = _uses.IndexOf(new Use(node, index));
        if (i < 0) throw new InvalidOperationException($"use list of '{Name}' has no use by {node} at input {index}");
        _uses.RemoveAt(i);
    }

    /// <summary>
    /// Makes every consumer of this value (nodes, also in subgraphs, and graph outputs) use <paramref name="replacement"/>.
    /// A graph output keeps its interface name: when this value is a graph output, the replacement is renamed to this
    /// value's name if it is a plain node output; otherwise the call refuses and nothing changes.
    /// </summary>
    public void ReplaceAllUsesWith(Value replacement)
    {
        if (ReferenceEquals(replacement, this)) return;
        if (IsGraphOutput && (replacement.IsGraphInput || replacement.IsGraphOutput || replacement.IsInitializer || replacement.Graph != Graph))
            throw new InvalidOperationException(
                $"'{Name}' is a graph output and '{replacement.Name}' is an input, output, initializer or outer value: insert an Identity instead");
        // All uses move at once: removing them one by one from a long use list would cost its length each time.
        var uses = _uses.ToArray();
        _uses.Clear();
        foreach (var use in uses) use.Node.RebindInput(use.InputIndex, replacement);
        if (IsGraphOutput && Graph is not null)
        {
            var name = Name;
            Graph.ReplaceOutputs(this, replacement);
            Name = Graph.UniqueValueName(name + "_replaced");
            replacement.Name = name;
        }
    }

    /// <summary>
    /// An initializer that is also a graph input of an IR 4+ model: only a default, which the caller may override at
    /// run time. It is never a constant: no pass may fold, fuse, quantize or deduplicate it.
    /// </summary>
    public bool IsOverridable => Initializer is not null && IsGraphInput && (Graph?.Root.InputsOverrideInitializers ?? true);

    /// <summary>
    /// The constant tensor behind this value: an initializer that no caller can override, or the value of a Constant
    /// node. The one answer every pass gets to "is this a constant?": null for overridable initializers.
    /// </summary>
    public Tensor? GetConstant() =>
        IsOverridable ? null : Initializer ?? (Producer is { } p && p.IsConstantNode ? ConstantNodes.GetValue(p) : null);

    public override string ToString() => "%" + Name;
}
