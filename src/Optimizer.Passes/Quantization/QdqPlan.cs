using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// What static quantization will do to a model, decided on the IR alone: the nodes that get Q/DQ, the tensors whose
/// calibrated ranges are needed, and why each candidate that stays float does.
/// </summary>
public sealed class QdqPlan
{
    internal QdqPlan(QdqAnalysis analysis)
    {
        Analysis = analysis;
        QuantizedNodes = analysis.Quantized.Select(n => n.Name).ToList();
        TensorsToCalibrate = analysis.Activations.Where(a => a.Constant is null).Select(a => a.RangeName).Distinct(StringComparer.Ordinal).ToList();
        LeftInFloat = analysis.LeftInFloat.Select(l => (l.Node.Name, l.Reason)).ToList();
    }

    /// <summary>Node names, in graph order (subgraph nodes right after the node that holds them).</summary>
    public IReadOnlyList<string> QuantizedNodes { get; }

    /// <summary>Value names (main graph and subgraphs) whose calibrated ranges the pass needs.</summary>
    public IReadOnlyList<string> TensorsToCalibrate { get; }

    /// <summary>Candidates that stay float, with the reason.</summary>
    public IReadOnlyList<(string Node, string Reason)> LeftInFloat { get; }

    internal QdqAnalysis Analysis { get; }
}

/// <summary>How a quantized node's inputs and outputs take part: decides where Q/DQ go and which ops ORT fuses.</summary>
internal enum QdqRole
{
    /// <summary>Conv, ConvTranspose, MatMul, Gemm: int8 weights, activations in, (optional) Q on the output.</summary>
    Weighted,
    /// <summary>Add, Mul: both inputs and the output quantized (QLinearAdd/QLinearMul).</summary>
    Binary,
    /// <summary>AveragePool, GlobalAveragePool, Sigmoid, LeakyRelu, Softmax: QLinear* unary kernels.</summary>
    Unary,
    /// <summary>Concat: every input and the output share one range (QLinearConcat, or a plain uint8 Concat).</summary>
    Concat,
    /// <summary>Ops that only move values (Reshape, Transpose, MaxPool…): output shares the input's parameters, ORT drops the DQ/Q.</summary>
    Movement,
    /// <summary>TensorRT's residual Add: only the identity input is quantized, so TensorRT fuses the Add into the Conv.</summary>
    ResidualAdd,
}

/// <summary>A constant weight input of a quantized node, quantized to int8 along <paramref name="Axis"/> (-1: per tensor).</summary>
internal sealed record WeightPlan(Node Node, int Input, int Axis);

/// <summary>A constant bias quantized to int32 with scale = scale of activation input 0 × weight scale (ORT's QLinearConv/QGemm).</summary>
internal sealed record BiasPlan(Node Node, int Input, WeightPlan Weight);

/// <summary>A Relu or Clip(0, max) whose clamp moves into the Q after its producer (ONNX Runtime then has no op to run for it).</summary>
internal sealed record ClampFold(Node Producer, Node Clamp, float? Max);

/// <summary>One tensor that gets a Q→DQ pair (or, for a constant, a pre-quantized initializer and a DQ).</summary>
internal sealed class ActivationPlan(Value value, string rangeName, Tensor? constant)
{
    /// <summary>The value as planned; after a clamp fold, the producer's output that replaces it.</summary>
    public Value Value { get; set; } = value;

    /// <summary>The name whose calibrated range applies (the value's name when planned).</summary>
    public string RangeName { get; } = rangeName;

    /// <summary>The constant behind the value (its range comes from its data), or null for a calibrated tensor.</summary>
    public Tensor? Constant { get; } = constant;

    /// <summary>The producer is quantized: every consumer (and a graph output) reads the DQ, so nothing else reads the float.</summary>
    public bool AllUses { get; set; }

    /// <summary>The quantized consumers' inputs that read the DQ (the others keep the float tensor unless <see cref="AllUses"/>).</summary>
    public List<(Node Node, int Input)> Consumers { get; } = [];
}

/// <summary>The analysis behind <see cref="QdqPlan"/>, kept for the pass: everything by IR object, nothing changed yet.</summary>
internal sealed class QdqAnalysis
{
    private readonly Dictionary<Value, Value> _parent = [];

    public List<Node> Quantized { get; } = [];
    public Dictionary<Node, QdqRole> Roles { get; } = [];
    public List<WeightPlan> Weights { get; } = [];
    public List<BiasPlan> Biases { get; } = [];
    public List<ClampFold> Folds { get; } = [];
    public List<ActivationPlan> Activations { get; } = [];
    public Dictionary<Value, ActivationPlan> ByValue { get; } = [];
    public List<(Node Node, string Reason)> LeftInFloat { get; } = [];

    /// <summary>The clamp (folded Relu/Clip) a range group carries: null for unclamped, else the Clip max (∞ for Relu).</summary>
    public Dictionary<Value, float?> Clamp { get; } = [];

    public ActivationPlan Activation(Value value, Tensor? constant)
    {
        if (ByValue.TryGetValue(value, out var plan)) return plan;
        plan = new ActivationPlan(value, value.Name, constant);
        Activations.Add(plan);
        ByValue[value] = plan;
        return plan;
    }

    /// <summary>The representative of the range group of <paramref name="value"/> (union-find).</summary>
    public Value Root(Value value)
    {
        while (_parent.TryGetValue(value, out var p) && !ReferenceEquals(p, value)) value = p;
        return value;
    }

    /// <summary>Puts <paramref name="member"/> in the group of <paramref name="into"/>; the group keeps <paramref name="into"/>'s clamp.</summary>
    public void Join(Value member, Value into)
    {
        var (a, b) = (Root(member), Root(into));
        if (!ReferenceEquals(a, b)) _parent[a] = b;
    }

    public float? ClampOf(Value value) => Clamp.GetValueOrDefault(Root(value));
}
