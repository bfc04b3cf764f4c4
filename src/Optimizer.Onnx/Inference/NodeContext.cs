using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// What a rule sees of one node: its inputs' element types, shapes and (for small integer tensors) symbolic values,
/// the opset, and where to put what it infers about the outputs. A rule that finds the inputs inconsistent calls
/// <see cref="Fail"/>; one that cannot tell a dim leaves it null (unknown), never guesses.
/// </summary>
internal sealed class NodeContext(InferenceState state, Node node, long opset, IReadOnlyDictionary<string, long> opsets)
{
    private readonly Dictionary<int, OutputFacts> _results = [];

    public InferenceState State { get; } = state;

    public Node Node { get; } = node;

    /// <summary>The version of the node's domain the model imports.</summary>
    public long Opset { get; } = opset;

    public IReadOnlyDictionary<string, long> Opsets { get; } = opsets;

    public int InputCount => Node.Inputs.Count;

    public int OutputCount => Node.Outputs.Count;

    public bool HasInput(int index) => Node.Input(index) is not null;

    public bool HasOutput(int index) => index < Node.Outputs.Count && Node.Outputs[index] is not null;

    public ValueFacts Input(int index) => Node.Input(index) is { } v ? State.Facts(v) : ValueFacts.Nothing;

    public ElementType InputType(int index) => Input(index).ElementType;

    /// <summary>The input's shape, or null when it is omitted or its rank is unknown.</summary>
    public SymDim[]? InputShape(int index) => Input(index).Shape;

    public int? InputRank(int index) => Input(index).Rank;

    /// <summary>The input's elements (symbolic) when it is a small integer tensor whose elements are tracked.</summary>
    public SymDim[]? InputValue(int index) => Input(index).Data;

    /// <summary>The input's elements when every one of them is a known constant.</summary>
    public long[]? InputInts(int index)
    {
        var data = InputValue(index);
        if (data is null || data.Any(d => !d.IsConstant)) return null;
        return data.Select(d => d.ConstantValue!.Value).ToArray();
    }

    /// <summary>The input's constant tensor (initializer or Constant node), whatever its size and type.</summary>
    public Tensor? InputConstant(int index) => Node.Input(index)?.GetConstant();

    public OutputFacts Output(int index)
    {
        if (!_results.TryGetValue(index, out var facts)) _results[index] = facts = new OutputFacts();
        return facts;
    }

    /// <summary>Sets output <paramref name="index"/>'s element type and shape (null = unknown rank; null dims unknown).</summary>
    public void SetOutput(int index, ElementType type, IReadOnlyList<SymDim?>? shape)
    {
        if (!HasOutput(index)) return;
        var o = Output(index);
        o.ElementType = type;
        o.Shape = shape?.ToArray();
    }

    /// <summary>Sets the elements of output <paramref name="index"/> (a small integer tensor), null elements unknown.</summary>
    public void SetOutputValue(int index, IReadOnlyList<SymDim?>? values)
    {
        if (!HasOutput(index) || values is null || values.Count > State.Options.MaxPropagatedElements) return;
        Output(index).Data = values.ToArray();
    }

    public void SetOutputType(int index, TypeInfo type)
    {
        if (HasOutput(index)) Output(index).OtherType = type;
    }

    public OutputFacts? Result(int index) => _results.GetValueOrDefault(index);

    /// <summary>Reports that the inputs do not fit the operator; the node's outputs are left as they were.</summary>
    public InferenceException Fail(string message) => new(message);

    // ---- attributes ----

    public long Int(string name, long defaultValue) => Node.GetInt(name, defaultValue);

    public long[]? Ints(string name) => Node.GetInts(name);

    public float Float(string name, float defaultValue) => Node.GetFloat(name, defaultValue);

    public string String(string name, string defaultValue) => Node.GetString(name, defaultValue);

    /// <summary>Normalizes a possibly negative axis for a tensor of rank <paramref name="rank"/>; fails when out of range.</summary>
    public int Axis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Fail($"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}
