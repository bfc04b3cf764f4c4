using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using static Optimizer.Passes.Opset.OpsetAdapter;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Opset;

/// <summary>
/// The breaking changes of ONNX operators from opset 1 up to 9 (the models of the first exporters, IR 3), from
/// ONNX's operator changelog. Changes that only added types or optional outputs need nothing: MaxPool-8's Indices,
/// Max/Min/Mean/Sum-8's broadcasting, AveragePool-7's count_include_pad (default 0), GRU-3's linear_before_reset.
/// </summary>
public static class LegacyOpsetAdapters
{
    /// <summary>Operators whose legacy in-place hint `consumed_inputs` went at opset 6 (Reshape's at 5).</summary>
    private static readonly string[] ConsumedInputsOps =
    [
        "Abs", "Add", "BatchNormalization", "Ceil", "Clip", "Div", "Dropout", "Elu", "Exp", "Floor", "HardSigmoid",
        "InstanceNormalization", "LeakyRelu", "Log", "Max", "Mean", "Min", "Mul", "Neg", "PRelu", "Reciprocal", "Relu",
        "Selu", "Sigmoid", "Sqrt", "Sub", "Sum", "Tanh",
    ];

    /// <summary>TensorProto.DataType by name, as Cast-1 spelled its `to`.</summary>
    private static readonly Dictionary<string, long> DataTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FLOAT"] = 1, ["UINT8"] = 2, ["INT8"] = 3, ["UINT16"] = 4, ["INT16"] = 5, ["INT32"] = 6, ["INT64"] = 7,
        ["STRING"] = 8, ["BOOL"] = 9, ["FLOAT16"] = 10, ["DOUBLE"] = 11, ["UINT32"] = 12, ["UINT64"] = 13,
    };

    /// <summary>Operators that changed meaning before opset 9 with no rewrite here.</summary>
    public static IReadOnlyList<(string Op, long Version, string Why)> Unsupported { get; } = [];

    public static IReadOnlyList<OpsetAdapter> All { get; } =
    [
        // Pad-1's `paddings` is Pad-2's `pads`, same layout [x1_begin, x2_begin, ..., x1_end, x2_end, ...].
        new("Pad", 2, Always, (n, _) => Rename(n, "paddings", "pads")),
        new("Split", 2, SplitCheck, SplitTo2),
        new("GlobalLpPool", 2, LpCheck, (n, _) => LpTo2(n)),
        new("LpPool", 2, LpCheck, (n, _) => LpTo2(n)),
        // Concat-1's axis defaulted to 1; from 4 it is required.
        new("Concat", 4, Always, (n, _) => { if (!n.HasAttribute("axis")) n.SetAttribute(Attribute.FromInt("axis", 1)); }),
        new("Reshape", 5, n => n.HasAttribute("shape") || n.Input(1) is not null ? null : "Reshape-1 without a shape",
            (n, _) => { n.RemoveAttribute("consumed_inputs"); if (n.HasAttribute("shape")) IntsToInput(n, "shape", 1); }),
        .. ConsumedInputsOps.Select(op => new OpsetAdapter(op, 6, Always, (n, _) => n.RemoveAttribute("consumed_inputs"))),
        // Selu-6 defaults to alpha 1.67326319..., gamma 1.05070102...; Selu-1 to 1.6732 and 1.0507.
        new("Selu", 6, Always, (n, _) => { KeepDefault(n, "alpha", 1.6732f); KeepDefault(n, "gamma", 1.0507f); }),
        new("Cast", 6, CastCheck, (n, _) => { if (n.GetAttribute("to") is { Kind: AttributeKind.String } to) n.SetAttribute(Attribute.FromInt("to", DataTypes[to.String])); }),
        new("Tile", 6, TileCheck, TileTo6),
        .. LegacyBroadcast.BinaryOps.Select(op => new OpsetAdapter(op, 7, LegacyBroadcast.BinaryCheck, LegacyBroadcast.BinaryApply)),
        new("Gemm", 7, LegacyBroadcast.GemmCheck, LegacyBroadcast.GemmApply),
        new("PRelu", 7, LegacyBroadcast.PReluCheck, LegacyBroadcast.PReluApply),
        // Opset 7 has no training mode for these: is_test=0 (the default) asked for batch statistics / random drops.
        new("BatchNormalization", 7, n => TestModeCheck(n, "uses batch statistics"), (n, _) => n.RemoveAttribute("is_test")),
        new("Dropout", 7, n => TestModeCheck(n, "drops at random"), (n, _) => n.RemoveAttribute("is_test")),
        new("Upsample", 7, UpsampleCheck, UpsampleTo7),
        // output_sequence=0 only made Y optional, and from 7 Y is optional anyway.
        .. new[] { "RNN", "GRU", "LSTM" }.Select(op => new OpsetAdapter(op, 7, Always, (n, _) => n.RemoveAttribute("output_sequence"))),
        new("Scan", 9, ScanCheck, ScanTo9),
        new("BatchNormalization", 9, n => n.GetInt("spatial", 1) == 1 ? null : "spatial=0 (per-activation statistics) has no form after opset 8",
            (n, _) => n.RemoveAttribute("spatial")),
        // Upsample-9 takes the scales as an input.
        new("Upsample", 9, Always, (n, _) =>
        {
            if (n.GetFloats("scales") is not { } scales) return;
            n.RemoveAttribute("scales");
            SetInput(n, 1, Patterns.AddInitializer(n.Graph!, "scales", scales, scales.Length));
        }),
    ];

    /// <summary>Upsample's scales whatever its opset: attributes (1, 7) or a constant input (9).</summary>
    public static float[]? UpsampleScales(Node n) =>
        n.GetAttribute("height_scale") is { } h && n.GetAttribute("width_scale") is { } w ? [1f, 1f, h.Float, w.Float]
        : n.GetFloats("scales") ?? Patterns.ConstantFloats(n.Input(1));

    private static void Rename(Node n, string from, string to)
    {
        if (n.GetAttribute(from) is not { } a) return;
        n.RemoveAttribute(from);
        a.Name = to;
        n.SetAttribute(a);
    }

    private static void KeepDefault(Node n, string name, float value)
    {
        if (!n.HasAttribute(name)) n.SetAttribute(Attribute.FromFloat(name, value));
    }

    // Split-1 took the sizes as an attribute or a second input, and stated no default axis.
    private static string? SplitCheck(Node n) =>
        !n.HasAttribute("axis") ? "Split-1 without an axis (it had no default)"
        : n.Input(1) is { } split && SplitSizes(split) is null ? "Split-1's sizes come from a non-constant input"
        : null;

    // Split-1 typed its sizes input like the data (float); exporters also wrote int64.
    private static long[]? SplitSizes(Value split) =>
        Patterns.ConstantInts(split) ?? (Patterns.ConstantFloats(split) is { } f && f.All(x => x == MathF.Round(x)) ? f.Select(x => (long)x).ToArray() : null);

    // Split-1(x, split) => Split-2<split>(x)
    private static void SplitTo2(Node n, long target)
    {
        if (n.Input(1) is not { } split) return;
        n.SetAttribute(Attribute.FromInts("split", SplitSizes(split)!));
        n.TruncateInputs(1);
        if (split.Producer is { IsConstantNode: true } producer) Patterns.RemoveIfUnused(producer);
    }

    // LpPool-1's p was a float (2.0), LpPool-2's an int (2).
    private static string? LpCheck(Node n) =>
        n.GetAttribute("p") is { Kind: AttributeKind.Float } p && p.Float != MathF.Round(p.Float) ? $"p = {p.Float} is not an integer, which {n.OpType}-2 requires" : null;

    private static void LpTo2(Node n)
    {
        if (n.GetAttribute("p") is { Kind: AttributeKind.Float } p) n.SetAttribute(Attribute.FromInt("p", (long)p.Float));
    }

    private static string? CastCheck(Node n) =>
        n.GetAttribute("to") is { Kind: AttributeKind.String } to && !DataTypes.ContainsKey(to.String) ? $"Cast to the unknown type name '{to.String}'" : null;

    // Tile-1 repeated along one axis; Tile-6 takes a count for every axis.
    private static string? TileCheck(Node n) =>
        n.Inputs.Count == 2 ? null // already the opset-6 form
        : Patterns.ConstantInts(n.Input(1)) is not [_] || Patterns.ConstantInts(n.Input(2)) is not [_] ? "Tile-1's tiles and axis are not constant scalars"
        : Patterns.Rank(n.Input(0)) is null ? "the input's rank is unknown, so Tile-1's axis cannot become repeats"
        : null;

    // Tile-1(x[rank 3], tiles=4, axis=1) => Tile-6(x, repeats=[1, 4, 1])
    private static void TileTo6(Node n, long target)
    {
        if (n.Inputs.Count == 2) return;
        var rank = Patterns.Rank(n.Input(0))!.Value;
        var tiles = Patterns.ConstantInts(n.Input(1))![0];
        var axis = Patterns.ConstantInts(n.Input(2))![0];
        var repeats = Enumerable.Repeat(1L, rank).ToArray();
        repeats[axis < 0 ? axis + rank : axis] = tiles;
        var old = new[] { n.Input(1)!.Producer, n.Input(2)!.Producer };
        n.TruncateInputs(1);
        n.AddInput(Patterns.AddInitializer(n.Graph!, "repeats", repeats, rank));
        foreach (var p in old)
            if (p is { IsConstantNode: true }) Patterns.RemoveIfUnused(p);
    }

    // Scan-8 runs a batch of sequences (axis 0), with optional lengths; Scan-9 runs one. A batch of one carries over.
    private static string? ScanCheck(Node n) =>
        n.Input(0) is not null ? "Scan-8 with sequence_lens (sequences of different lengths) has no Scan-9 form"
        : n.Inputs.Skip(1).Any(v => v?.Shape is not { Rank: > 0 } s || s[0].Value != 1) ? "Scan-8 over a batch not known to hold one sequence has no Scan-9 form"
        : null;

    // Scan-8<directions>(_, state[1,...], x[1,T,...]) -> (state'[1,...], y[1,T,...])
    //   => Unsqueeze_0(Scan-9<scan_input_directions>(Squeeze_0(state), Squeeze_0(x)))
    private static void ScanTo9(Node n, long target)
    {
        var inputs = n.Inputs.Skip(1).Select(v => Batch(n, "Squeeze", v!, target, before: true).Output()).ToList();
        n.TruncateInputs(0);
        foreach (var v in inputs) n.AddInput(v);
        Rename(n, "directions", "scan_input_directions");
        foreach (var output in n.Outputs.Reverse())
        {
            if (output is null) continue;
            var unsqueeze = Batch(n, "Unsqueeze", null, target, before: false);
            unsqueeze.Output().Type = output.Type;
            output.ReplaceAllUsesWith(unsqueeze.Output());
            unsqueeze.SetInput(0, output);
            output.Type = null;
        }
    }

    /// <summary>A Squeeze before / Unsqueeze after <paramref name="n"/> of axis 0, in the form of opset <paramref name="target"/>.</summary>
    private static Node Batch(Node n, string op, Value? value, long target, bool before)
    {
        var graph = n.Graph!;
        Value? axes = target >= 13 ? Patterns.AddInitializer(graph, "batch_axis", new[] { 0L }, 1) : null;
        Attribute[] attributes = target >= 13 ? [] : [Attribute.FromInts("axes", [0L])];
        Value?[] inputs = axes is null ? [value] : [value, axes];
        if (before) return Patterns.InsertBefore(n, op, inputs, value!.Name + "_unbatched", attributes);
        var node = new Node(op, inputs, [graph.UniqueValueName("scan_batched")], name: graph.UniqueNodeName(op + "_scan_batch"));
        foreach (var a in attributes) node.SetAttribute(a);
        graph.InsertAfter(n, node);
        return node;
    }

    private static string? TestModeCheck(Node n, string what) =>
        n.GetInt("is_test", 0) == 0 ? $"is_test=0 (training mode, the default before opset 7) {what}; opset 7 has no such mode" : null;

    private static string? UpsampleCheck(Node n) =>
        n.HasAttribute("scales") || (n.HasAttribute("height_scale") && n.HasAttribute("width_scale")) ? null : "Upsample-1 without height_scale and width_scale";

    // Upsample-1<height_scale=h, width_scale=w, mode=bilinear>(x[N,C,H,W]) => Upsample-7<scales=[1,1,h,w], mode=linear>(x)
    private static void UpsampleTo7(Node n, long target)
    {
        if (n.HasAttribute("scales")) return;
        n.SetAttribute(Attribute.FromFloats("scales", UpsampleScales(n)!));
        n.RemoveAttribute("height_scale");
        n.RemoveAttribute("width_scale");
        if (n.GetString("mode", "nearest") == "bilinear") SetString(n, "mode", "linear");
    }
}
