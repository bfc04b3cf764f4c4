using Optimizer.Onnx.IR;
using Optimizer.Onnx.Inference.Rules;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// One inference run: the facts known about every value so far (main graph, subgraphs and the enclosing graphs they
/// read), the diagnostics, and the walk over a graph's nodes. Rules reach it through <see cref="NodeContext"/>.
/// </summary>
internal sealed class InferenceState(Model model, ShapeInferenceOptions options)
{
    private readonly Dictionary<Value, ValueFacts> _facts = [];
    private readonly Dictionary<Value, int> _ids = [];
    private readonly List<InferenceDiagnostic> _diagnostics = [];
    private int _writesSuspended;

    public Model Model { get; } = model;

    public ShapeInferenceOptions Options { get; } = options;

    public IReadOnlyList<InferenceDiagnostic> Diagnostics => _diagnostics;

    public int TypesWritten { get; private set; }

    public IReadOnlyDictionary<Value, ValueFacts> AllFacts => _facts;

    /// <summary>Infers every node of <paramref name="graph"/> in order (ONNX graphs are topologically sorted).</summary>
    public void InferGraph(Graph graph, IReadOnlyDictionary<string, long> opsets)
    {
        foreach (var node in graph.Nodes) InferNode(node, opsets);
    }

    public void InferNode(Node node, IReadOnlyDictionary<string, long> opsets)
    {
        var domain = node.IsDefaultDomain ? "" : node.Domain;
        var rule = RuleRegistry.Find(domain, node.OpType) ?? FunctionRules.Find(Model, node);
        if (rule is null) return; // an operator we do not know: its outputs keep what the model says
        // Inside a function body an attribute may refer to the caller's: its value is not known here.
        if (node.Attributes.Any(a => a.RefAttrName is not null)) return;
        var context = new NodeContext(this, node, opsets.GetValueOrDefault(domain, 1), opsets);
        try
        {
            rule(context);
        }
        catch (InferenceException e)
        {
            Report(node, e.Message);
            return;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException or NotSupportedException)
        {
            Report(node, $"inference failed: {e.Message}");
            return;
        }
        for (var i = 0; i < node.Outputs.Count; i++)
            if (node.Outputs[i] is { } output && context.Result(i) is { } result)
                Commit(output, result);
    }

    public void Report(Node node, string message) => _diagnostics.Add(new InferenceDiagnostic(node.Name, node.OpType, message));

    /// <summary>The facts about <paramref name="value"/>: inferred in this run, or read from its stated type and data.</summary>
    public ValueFacts Facts(Value value)
    {
        if (_facts.TryGetValue(value, out var known)) return known;
        var facts = FromStatedType(value);
        _facts[value] = facts;
        return facts;
    }

    /// <summary>
    /// Until disposed, inference records facts but writes no types: a Loop body is inferred several times until its
    /// carried shapes settle, and a first guess written into the model would survive as a stated type.
    /// </summary>
    public IDisposable SuspendWrites()
    {
        _writesSuspended++;
        return new Resume(this);
    }

    private sealed class Resume(InferenceState state) : IDisposable
    {
        public void Dispose() => state._writesSuspended--;
    }

    /// <summary>Sets the facts of a subgraph input (a Loop or Scan body's) from its outer node, merged with its stated type.</summary>
    public void Bind(Value value, OutputFacts facts) => Commit(value, facts);

    /// <summary>Forgets what this run inferred about a graph's values, so the graph can be inferred again.</summary>
    public void Forget(Graph graph)
    {
        foreach (var g in graph.AllGraphs())
            foreach (var v in g.DefinedValues())
                _facts.Remove(v);
    }

    /// <summary>Drops what this run inferred about <paramref name="value"/>, so its stated type counts again.</summary>
    public void ForgetStated(Value value) => _facts.Remove(value);

    public SymDim OpaqueDim(Value value, int index) => SymDim.Opaque($"{Id(value)}.d{index}");

    public SymDim OpaqueElement(Value value, int index) => SymDim.OpaqueElement($"{Id(value)}.e{index}");

    private int Id(Value value)
    {
        if (!_ids.TryGetValue(value, out var id)) _ids[value] = id = _ids.Count;
        return id;
    }

    private void Commit(Value value, OutputFacts result)
    {
        var merge = TypeMerge.Merge(this, value, result);
        if (merge.Conflict is { } conflict && value.Producer is { } producer) Report(producer, conflict);
        _facts[value] = merge.Facts;
        if (Options.WriteTypes && _writesSuspended == 0 && merge.Written is { } written && !Equals(written, value.Type))
        {
            value.Type = written;
            TypesWritten++;
        }
    }

    private ValueFacts FromStatedType(Value value)
    {
        if (value.Type is not TensorTypeInfo tensor) return ValueFacts.Nothing with { OtherType = value.Type };
        var shape = tensor.Shape?.Dims.Select((d, i) => TypeMerge.FromDim(d) ?? OpaqueDim(value, i)).ToArray();
        return new ValueFacts(tensor.ElementType, shape, ConstantData(value.GetConstant()));
    }

    /// <summary>The elements of a small integer constant (rank 0 or 1), for shape arithmetic.</summary>
    public SymDim[]? ConstantData(Tensor? tensor)
    {
        if (tensor is null || tensor.Dims.Count > 1 || tensor.ElementCount > Options.MaxPropagatedElements) return null;
        if (tensor.ElementType is not (ElementType.Int64 or ElementType.Int32 or ElementType.Bool)) return null;
        long[] values = tensor.ElementType switch
        {
            ElementType.Int64 => tensor.ToArray<long>(),
            ElementType.Int32 => tensor.ToArray<int>().Select(x => (long)x).ToArray(),
            _ => tensor.ToArray<bool>().Select(x => x ? 1L : 0L).ToArray(),
        };
        return values.Select(SymDim.Const).ToArray();
    }
}
