using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Pruning;

/// <summary>
/// Which output channels of Conv/ConvTranspose/Gemm/MatMul layers can be removed, and what else must change with
/// them. Each prunable layer's output channels become atoms; the channel axis is followed forward through ops that
/// keep channels apart (activations, per-channel constants, BatchNormalization, pooling, Resize, Flatten, depthwise
/// Convs, Concat, Split, Slice) to the layers that consume it, whose input channels shrink with it. Ops that combine
/// two traced tensors channel by channel (a residual Add, a gate's Mul) join their atoms; a consumer that cannot
/// follow a removal (a graph output, a Reshape, a normalization over channels, an excluded node) pins the atoms it
/// sees, with the reason. Reads the IR only; changes nothing. Needs ranks (shape inference) for the channel axis.
/// </summary>
public sealed class ChannelAnalysis
{
    private static readonly HashSet<string> Unary =
    [
        "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Tanh", "Erf", "Elu", "Selu", "Celu", "Softplus",
        "Softsign", "Gelu", "Mish", "Abs", "Neg", "Sqrt", "Exp", "Identity", "ThresholdedRelu", "Reciprocal",
    ];

    private static readonly HashSet<string> Binary = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "PRelu"];

    private static readonly HashSet<string> Pooling = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool"];

    private readonly Dictionary<Value, ChannelTrace> _traces = [];
    private readonly PruningSettings _settings;
    private readonly long _opset;

    private ChannelAnalysis(PruningSettings settings, long opset)
    {
        _settings = settings;
        _opset = opset;
    }

    public ChannelAtoms Atoms { get; } = new();

    public List<PrunableLayer> Layers { get; } = [];

    public List<ChannelEdit> Edits { get; } = [];

    /// <summary>Layers left alone because --exclude names them (or their op type).</summary>
    public List<Node> Excluded { get; } = [];

    /// <summary>Atom lists of which at least one must stay: each layer's channels, each Split or Slice output.</summary>
    public List<int[]> Segments { get; } = [];

    public IReadOnlyDictionary<Value, ChannelTrace> Traces => _traces;

    /// <summary>Analyses the main graph of <paramref name="model"/> (value ranks must be known where channels flow).</summary>
    public static ChannelAnalysis Run(Model model, PruningSettings settings)
    {
        var analysis = new ChannelAnalysis(settings, Patterns.Opset(model));
        var graph = model.Graph;
        foreach (var node in graph.Nodes) analysis.Visit(node);
        foreach (var (value, trace) in analysis._traces)
        {
            if (value.IsGraphOutput) analysis.Atoms.Pin(trace.Atoms, $"its channels reach the graph output '{value.Name}'");
            if (value.Uses.Where(u => u.Node.Graph != graph).Select(u => u.Node).FirstOrDefault() is { } inner)
                analysis.Atoms.Pin(trace.Atoms, $"{PassDiagnostics.Describe(inner)} in a subgraph reads it");
        }
        return analysis;
    }

    private void Visit(Node node)
    {
        var traced = Enumerable.Range(0, node.Inputs.Count).Where(i => node.Inputs[i] is { } v && _traces.ContainsKey(v)).ToList();
        var handled = new HashSet<int>();
        if (!node.IsDefaultDomain || node.Subgraphs.Any()) { }
        else if (_settings.Excludes(node))
        {
            PinInputs(node, traced, $"{PassDiagnostics.Describe(node)} is excluded (--exclude)");
            if (node.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul") Excluded.Add(node);
        }
        else if (node.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul") Linear(node, handled);
        else if (traced.Count > 0) Flow(node, traced, handled);
        PinInputs(node, traced.Where(i => !handled.Contains(i)), Unfollowable(node));
    }

    private static string Unfollowable(Node node) => node.OpType switch
    {
        "Reshape" => $"{PassDiagnostics.Describe(node)} hard-codes the channel count in its target shape (only splits into heads and merges back are rewritten)",
        "Transpose" => $"{PassDiagnostics.Describe(node)} moves the channel axis",
        "LayerNormalization" or "ReduceMean" or "ReduceSum" or "Softmax" => $"{PassDiagnostics.Describe(node)} computes across channels",
        _ when node.Subgraphs.Any() => $"{PassDiagnostics.Describe(node)} holds subgraphs",
        _ => $"{PassDiagnostics.Describe(node)} reads the channels in a way pruning does not follow",
    };

    private void PinInputs(Node node, IEnumerable<int> inputs, string reason)
    {
        foreach (var i in inputs.ToList())
            if (node.Inputs[i] is { } v && _traces.TryGetValue(v, out var t)) Atoms.Pin(t.Atoms, reason);
    }

    private ChannelTrace? TraceOf(Value? value) => value is not null && _traces.TryGetValue(value, out var t) ? t : null;

    private static int? RankOf(Value? value) => value?.Shape?.Rank;

    private void SetTrace(Node node, int output, ChannelTrace trace)
    {
        if (output < node.Outputs.Count && node.Outputs[output] is { } v) _traces[v] = trace;
    }

    /// <summary>Pins the atoms when an output other than the first (indices, running statistics, a mask) is used.</summary>
    private bool ExtraOutputsUnused(Node node, ChannelTrace trace)
    {
        if (node.Outputs.Skip(1).All(o => o is null || (o.Uses.Count == 0 && !o.IsGraphOutput))) return true;
        Atoms.Pin(trace.Atoms, $"{PassDiagnostics.Describe(node)} has a second output in use");
        return false;
    }

    // ---- Conv, ConvTranspose, Gemm, MatMul: consumers of the input channels, producers of new ones ----

    private void Linear(Node node, HashSet<int> handled)
    {
        var weight = Patterns.Constant(node.Input(1)) is { ElementType: ElementType.Float } w ? w : null;
        if (weight is null)
        {
            if (node.OpType == "MatMul") ActivationMatMul(node, handled);
            return;
        }
        var input = TraceOf(node.Input(0));
        var group = node.GetInt("group", 1);
        if (input is not null)
        {
            if (node.OpType == "Conv" && group > 1 && group == input.Atoms.Length && weight.Dims is [var o, 1, ..] && o == group && input.Axis == 1)
            {
                // Depthwise: output channel c is input channel c filtered; its groups follow the channels kept.
                if (!BiasIsVector(node.Input(2), o)) return;
                handled.Add(0);
                AddNorms(input.Atoms, weight, 0, Patterns.Constant(node.Input(2)));
                Edits.Add(new SliceConstant(node, 1, 0, input.Atoms, Scored: true));
                if (node.Input(2) is not null) Edits.Add(new SliceConstant(node, 2, 0, input.Atoms, Scored: true));
                Edits.Add(new SetGroup(node, input.Atoms));
                SetTrace(node, 0, input with { Rank = weight.Dims.Count });
                return;
            }
            if (InputAxis(node, weight, input) is { } axis)
            {
                Edits.Add(new SliceConstant(node, 1, axis, input.Atoms));
                handled.Add(0);
            }
        }
        if (group != 1 || node.Outputs.Count == 0 || node.Outputs[0] is null) return;
        if (OutputChannels(node, weight) is not var (outAxis, channels, outputAxis, outputRank)) return;
        var bias = BiasEdit(node, channels);
        if (bias is null) return;
        var atoms = Atoms.Add(channels);
        AddNorms(atoms, weight, outAxis, null);
        if (bias is var (index, biasAxis) && index >= 0)
        {
            AddNorms(atoms, Patterns.Constant(node.Input(index))!, biasAxis, null);
            Edits.Add(new SliceConstant(node, index, biasAxis, atoms, Scored: true));
        }
        Edits.Add(new SliceConstant(node, 1, outAxis, atoms, Scored: true));
        Layers.Add(new PrunableLayer(node, atoms));
        Segments.Add(atoms);
        SetTrace(node, 0, new ChannelTrace(atoms, outputAxis, outputRank));
    }

    /// <summary>The weight axis that meets the traced input's channels, or null when the layer reads them otherwise.</summary>
    private static int? InputAxis(Node node, Tensor weight, ChannelTrace input)
    {
        var c = input.Atoms.Length;
        return node.OpType switch
        {
            "Conv" when node.GetInt("group", 1) == 1 && input.Axis == 1 && weight.Dims.Count >= 3 && weight.Dims[1] == c => 1,
            "ConvTranspose" when node.GetInt("group", 1) == 1 && input.Axis == 1 && weight.Dims.Count >= 3 && weight.Dims[0] == c => 0,
            "Gemm" when node.GetInt("transA", 0) == 0 && input.Axis == 1 && input.Rank == 2 && weight.Dims.Count == 2 =>
                node.GetInt("transB", 0) == 1 ? (weight.Dims[1] == c ? 1 : null) : (weight.Dims[0] == c ? 0 : null),
            "MatMul" when input.Rank >= 2 && input.Axis == input.Rank - 1 && weight.Dims.Count == 2 && weight.Dims[0] == c => 0,
            _ => null,
        };
    }

    /// <summary>The weight's output-channel axis, the channel count, and the output's channel axis and rank.</summary>
    private static (int, int, int, int)? OutputChannels(Node node, Tensor weight)
    {
        switch (node.OpType)
        {
            case "Conv" when weight.Dims.Count >= 3:
                return (0, (int)weight.Dims[0], 1, weight.Dims.Count);
            case "ConvTranspose" when weight.Dims.Count >= 3:
                return (1, (int)weight.Dims[1], 1, weight.Dims.Count);
            case "Gemm" when weight.Dims.Count == 2:
                var axis = node.GetInt("transB", 0) == 1 ? 0 : 1;
                return (axis, (int)weight.Dims[axis], 1, 2);
            case "MatMul" when weight.Dims.Count == 2 && RankOf(node.Output()) is >= 2 and var rank:
                return (1, (int)weight.Dims[1], rank - 1, rank);
            default:
                return null;
        }
    }

    /// <summary>Which input holds the bias and along which axis its channels lie ((-1, 0) for none); null when the bias cannot be sliced.</summary>
    private static (int, int)? BiasEdit(Node node, int channels)
    {
        if (node.OpType == "MatMul" || node.Input(2) is not { } b) return (-1, 0);
        if (Patterns.Constant(b) is not { ElementType: ElementType.Float } t) return null;
        if (node.OpType != "Gemm") return t.Dims.Count == 1 && t.Dims[0] == channels ? (2, 0) : null;
        return t.Dims.ToArray() switch
        {
            [] or [1] or [1, 1] => (-1, 0),
            [var n] when n == channels => (2, 0),
            [_, var n] when n == channels => (2, 1),
            _ => null,
        };
    }

    private static bool BiasIsVector(Value? bias, long channels) =>
        bias is null || Patterns.Constant(bias) is { ElementType: ElementType.Float, Dims: [var n] } && n == channels;

    /// <summary>Adds each channel's slice of <paramref name="tensor"/> (along <paramref name="axis"/>) to the norm of its atom.</summary>
    private void AddNorms(int[] atoms, Tensor tensor, int axis, Tensor? bias)
    {
        var data = tensor.ToArray<float>();
        var dims = tensor.Dims.ToArray();
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var c = atoms.Length;
        var slices = new List<float>[c];
        for (var i = 0; i < c; i++) slices[i] = [];
        for (long i = 0; i < data.Length; i++) slices[(int)(i / inner % c)].Add(data[i]);
        var biasData = bias?.ToArray<float>();
        for (var i = 0; i < c; i++) Atoms.AddWeights(atoms[i], biasData is null ? slices[i] : slices[i].Append(biasData[i]));
    }

    // ---- ops the channels flow through ----

    private void Flow(Node node, List<int> traced, HashSet<int> handled)
    {
        var first = TraceOf(node.Input(traced[0]))!;
        switch (node.OpType)
        {
            case var op when Unary.Contains(op) && traced is [0]:
                if (node.Inputs.Skip(1).Any(v => v is not null && Patterns.Constant(v) is not { ElementCount: 1 })) return;
                handled.Add(0);
                if (ExtraOutputsUnused(node, first)) SetTrace(node, 0, first);
                return;
            case var op when Binary.Contains(op) && node.Inputs.Count == 2:
                Elementwise(node, traced, handled);
                return;
            case var op when Pooling.Contains(op) && traced is [0] && first.Axis == 1:
                handled.Add(0);
                if (ExtraOutputsUnused(node, first)) SetTrace(node, 0, first);
                return;
            case "BatchNormalization" or "InstanceNormalization" when traced is [0] && first.Axis == 1:
                var parameters = node.OpType == "BatchNormalization" ? 4 : 2;
                if (Enumerable.Range(1, parameters).Any(i => !BiasIsVector(node.Input(i), first.Atoms.Length) || node.Input(i) is null)) return;
                handled.Add(0);
                if (!ExtraOutputsUnused(node, first)) return;
                for (var i = 1; i <= parameters; i++) Edits.Add(new SliceConstant(node, i, 0, first.Atoms));
                SetTrace(node, 0, first);
                return;
            case "Resize" or "Upsample" when traced is [0]:
                if (node.Input(3) is { } sizes && Patterns.Constant(sizes) is not { ElementCount: 0 }) return; // sizes fix the channel count
                handled.Add(0);
                SetTrace(node, 0, first);
                return;
            case "Flatten" when traced is [0]:
                Flatten(node, first, handled);
                return;
            case "Concat":
                Concat(node, traced, handled);
                return;
            case "Split" when traced is [0]:
                Split(node, first, handled);
                return;
            case "Slice" when traced is [0]:
                Slice(node, first, handled);
                return;
            case "Transpose" when traced is [0]:
                var perm = node.GetInts("perm") ?? Enumerable.Range(0, first.Rank).Reverse().Select(i => (long)i).ToArray();
                if (perm.Length != first.Rank) return;
                handled.Add(0);
                SetTrace(node, 0, first with { Axis = Array.IndexOf(perm, (long)first.Axis) });
                return;
            case "Softmax" or "LogSoftmax" when traced is [0]:
                // Normalizes along its axis (opset 13+) or the axes from it on (older): channels before it stay apart.
                var softmaxAxis = (int)node.GetInt("axis", _opset >= 13 ? -1 : 1);
                if (softmaxAxis < 0) softmaxAxis += first.Rank;
                if (first.Axis >= softmaxAxis) return;
                handled.Add(0);
                SetTrace(node, 0, first);
                return;
            case "Reshape" when traced is [0]:
                Reshape(node, first, handled);
                return;
        }
    }

    /// <summary>
    /// Attention's activation × activation MatMuls (Q·Kᵀ, probabilities·V): when both inputs carry heads on the same
    /// batch axis, head h meets head h only, so their heads are joined and the output keeps them on that axis.
    /// </summary>
    private void ActivationMatMul(Node node, HashSet<int> handled)
    {
        if (TraceOf(node.Input(0)) is not { } a || TraceOf(node.Input(1)) is not { } b) return;
        if (a.Rank != b.Rank || a.Axis != b.Axis || a.Axis >= a.Rank - 2 || a.Atoms.Length != b.Atoms.Length) return;
        for (var i = 0; i < a.Atoms.Length; i++) Atoms.Join(a.Atoms[i], b.Atoms[i]);
        handled.Add(0);
        handled.Add(1);
        SetTrace(node, 0, a);
    }

    /// <summary>
    /// A Reshape with a constant target that splits the last (channel) axis into [heads, head size], or merges
    /// [heads, head size] back into one axis. The channels of one head are joined: a head is removed whole, and the
    /// target's head (or merged) count is rewritten. Any other Reshape of channels hard-codes them (pinned).
    /// </summary>
    private void Reshape(Node node, ChannelTrace t, HashSet<int> handled)
    {
        if (Patterns.ConstantInts(node.Input(1)) is not { } target || node.GetInt("allowzero", 0) != 0) return;
        if (node.Input(0)?.Shape is not { } shape || shape.Rank != t.Rank) return;
        var r = t.Rank;
        bool Copies(int k) => target[k] == 0 || (shape[k].Value is { } d && d == target[k]);
        if (target.Length == r + 1 && t.Axis == r - 1 && target[r - 1] > 0 && target[r] > 0 && target[r - 1] * target[r] == t.Atoms.Length
            && Enumerable.Range(0, r - 1).All(Copies))
        {
            var (heads, size) = ((int)target[r - 1], (int)target[r]);
            for (var h = 0; h < heads; h++)
                for (var i = 1; i < size; i++) Atoms.Join(t.Atoms[h * size], t.Atoms[h * size + i]);
            var headAtoms = Enumerable.Range(0, heads).Select(h => t.Atoms[h * size]).ToArray();
            Edits.Add(new ReshapeTarget(node, headAtoms, r - 1, 1));
            Segments.Add(headAtoms);
            handled.Add(0);
            SetTrace(node, 0, new ChannelTrace(headAtoms, r - 1, r + 1));
            return;
        }
        if (target.Length == r - 1 && t.Axis == r - 2 && shape[r - 1].Value is { } headSize && target[r - 2] == t.Atoms.Length * headSize
            && Enumerable.Range(0, r - 2).All(Copies))
        {
            Edits.Add(new ReshapeTarget(node, t.Atoms, r - 2, headSize));
            handled.Add(0);
            SetTrace(node, 0, new ChannelTrace(t.Atoms.SelectMany(a => Enumerable.Repeat(a, (int)headSize)).ToArray(), r - 2, r - 1));
        }
    }

    private void Elementwise(Node node, List<int> traced, HashSet<int> handled)
    {
        if (traced.Count == 2)
        {
            var (a, b) = (TraceOf(node.Input(0))!, TraceOf(node.Input(1))!);
            if (a.Rank != b.Rank || a.Axis != b.Axis || a.Atoms.Length != b.Atoms.Length) return;
            // Both sides' channel c meet: they are kept or removed together.
            for (var i = 0; i < a.Atoms.Length; i++) Atoms.Join(a.Atoms[i], b.Atoms[i]);
            handled.Add(0);
            handled.Add(1);
            SetTrace(node, 0, a);
            return;
        }
        var t = TraceOf(node.Input(traced[0]))!;
        var other = 1 - traced[0];
        var value = node.Input(other);
        if (Patterns.Constant(value) is not { } constant)
        {
            // A non-constant partner broadcast along the channel axis (size 1 there) leaves the channels apart.
            if (value?.Shape is not { } shape || shape.Rank > t.Rank) return;
            var i = t.Axis - (t.Rank - shape.Rank);
            if (i >= 0 && shape[i].Value != 1) return;
            handled.Add(traced[0]);
            SetTrace(node, 0, t);
            return;
        }
        var dims = constant.Dims.ToArray();
        if (dims.Length > t.Rank) return;
        var axis = t.Axis - (t.Rank - dims.Length);
        if (axis >= 0 && dims[axis] != 1)
        {
            if (dims[axis] != t.Atoms.Length || dims.Where((d, k) => k != axis).Any(d => d != 1) || constant.ElementType != ElementType.Float) return;
            // A per-channel Add after a layer is its bias: it counts in the channel's norm.
            var bias = node.OpType is "Add" or "Sub";
            Edits.Add(new SliceConstant(node, other, axis, t.Atoms, bias));
            if (bias) AddNorms(t.Atoms, constant, axis, null);
        }
        handled.Add(traced[0]);
        SetTrace(node, 0, t);
    }

    private void Flatten(Node node, ChannelTrace t, HashSet<int> handled)
    {
        var axis = (int)node.GetInt("axis", 1);
        if (axis < 0) axis += t.Rank;
        if (t.Axis < axis || node.Input(0)?.Shape?.Dims is not { } dims || dims.Skip(axis).Any(d => d.Value is null)) return;
        var inner = dims.Skip(t.Axis + 1).Aggregate(1L, (a, d) => a * d.Value!.Value);
        var total = dims.Skip(axis).Aggregate(1L, (a, d) => a * d.Value!.Value);
        // Position p of the flattened axis holds channel (p / inner) % C.
        var atoms = new int[total];
        for (long p = 0; p < total; p++) atoms[p] = t.Atoms[p / inner % t.Atoms.Length];
        handled.Add(0);
        SetTrace(node, 0, new ChannelTrace(atoms, 1, 2));
    }

    private void Concat(Node node, List<int> traced, HashSet<int> handled)
    {
        var first = TraceOf(node.Input(traced[0]))!;
        var axis = (int)node.GetInt("axis", 0);
        if (axis < 0) axis += first.Rank;
        var traces = node.Inputs.Select(TraceOf).ToList();
        if (traces.Any(t => t is not null && (t.Rank != first.Rank || t.Axis != first.Axis))) return;
        if (axis != first.Axis)
        {
            // Joined along another axis: every input's channel c lands in the same output channel.
            if (traces.Any(t => t is null || t.Atoms.Length != first.Atoms.Length)) return;
            foreach (var t in traces.Skip(1))
                for (var i = 0; i < first.Atoms.Length; i++) Atoms.Join(first.Atoms[i], t!.Atoms[i]);
            foreach (var i in traced) handled.Add(i);
            SetTrace(node, 0, first);
            return;
        }
        var atoms = new List<int>();
        for (var i = 0; i < node.Inputs.Count; i++)
        {
            if (traces[i] is { } t)
            {
                atoms.AddRange(t.Atoms);
                continue;
            }
            if (node.Inputs[i]?.Shape is not { } shape || shape.Rank != first.Rank || shape[axis].Value is not { } n) return;
            var fixedAtoms = Atoms.Add((int)n);
            Atoms.Pin(fixedAtoms, $"{PassDiagnostics.Describe(node)} joins them with channels no prunable layer makes");
            atoms.AddRange(fixedAtoms);
        }
        foreach (var i in traced) handled.Add(i);
        SetTrace(node, 0, first with { Atoms = atoms.ToArray() });
    }

    private void Split(Node node, ChannelTrace t, HashSet<int> handled)
    {
        var axis = (int)node.GetInt("axis", 0);
        if (axis < 0) axis += t.Rank;
        if (axis != t.Axis)
        {
            handled.Add(0);
            for (var k = 0; k < node.Outputs.Count; k++) SetTrace(node, k, t);
            return;
        }
        var c = t.Atoms.Length;
        long[]? sizes = node.Input(1) is { } s ? Patterns.ConstantInts(s) : node.GetInts("split");
        if (sizes is null && node.Input(1) is null && c % node.Outputs.Count == 0 && !node.HasAttribute("num_outputs"))
            sizes = Enumerable.Repeat((long)(c / node.Outputs.Count), node.Outputs.Count).ToArray();
        if (sizes is null || sizes.Length != node.Outputs.Count || sizes.Sum() != c) return;
        handled.Add(0);
        Edits.Add(new ResizeSplit(node, t.Atoms, sizes.Select(x => (int)x).ToArray(), axis));
        var offset = 0;
        for (var k = 0; k < sizes.Length; k++)
        {
            var part = t.Atoms[offset..(offset + (int)sizes[k])];
            Segments.Add(part);
            SetTrace(node, k, t with { Atoms = part });
            offset += (int)sizes[k];
        }
    }

    private void Slice(Node node, ChannelTrace t, HashSet<int> handled)
    {
        if (_opset < 10)
        {
            var oldAxes = node.GetInts("axes") ?? Enumerable.Range(0, t.Rank).Select(i => (long)i).ToArray();
            if (oldAxes.Any(a => (a < 0 ? a + t.Rank : a) == t.Axis)) return;
            handled.Add(0);
            SetTrace(node, 0, t);
            return;
        }
        var starts = Patterns.ConstantInts(node.Input(1));
        var ends = Patterns.ConstantInts(node.Input(2));
        var axes = node.Input(3) is { } a ? Patterns.ConstantInts(a) : starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = node.Input(4) is { } s ? Patterns.ConstantInts(s) : null;
        if (starts is null || ends is null || axes is null) return;
        var entry = Array.FindIndex(axes, x => (x < 0 ? x + t.Rank : x) == t.Axis);
        handled.Add(0);
        if (entry < 0)
        {
            SetTrace(node, 0, t);
            return;
        }
        if (steps is not null && steps[entry] != 1)
        {
            handled.Remove(0);
            return;
        }
        var c = t.Atoms.Length;
        int Clamp(long x) => (int)Math.Clamp(x < 0 ? x + c : x, 0, c);
        var (start, end) = (Clamp(starts[entry]), Clamp(ends[entry]));
        if (end <= start)
        {
            handled.Remove(0);
            return;
        }
        var part = t.Atoms[start..end];
        Edits.Add(new ShiftSlice(node, t.Atoms, entry, start, end));
        Segments.Add(part);
        SetTrace(node, 0, t with { Atoms = part });
    }
}
