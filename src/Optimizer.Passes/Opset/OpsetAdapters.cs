using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using static Optimizer.Passes.Opset.OpsetAdapter;

namespace Optimizer.Passes.Opset;

/// <summary>
/// The breaking changes of ONNX operators between opset 9 and <see cref="MaxTarget"/> that a model upgrade must
/// carry across (type-only additions need nothing), after those from opset 1 to 9 in <see cref="LegacyOpsetAdapters"/>. An operator whose change is not listed here with a rewrite is
/// listed in <see cref="Unsupported"/>, so the upgrade refuses rather than writing a model that computes differently.
/// </summary>
public static class OpsetAdapters
{
    public const long MinSource = 1;
    /// <summary>
    /// Opset 22 only widened types, but ONNX Runtime 1.31 has no kernel for some ops at 22 (RoiAlign): upgrades stop
    /// at 21 so the result runs everywhere.
    /// </summary>
    public const long MaxTarget = 21;

    private static readonly string[] ReduceOps =
        ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

    /// <summary>Operators that changed meaning at a version with no rewrite here.</summary>
    public static IReadOnlyList<(string Op, long Version, string Why)> Unsupported { get; } =
    [
        .. LegacyOpsetAdapters.Unsupported,
        ("DFT", 20, "DFT's dft_length and axis moved to inputs with different semantics"),
        ("GroupNormalization", 21, "GroupNormalization's scale and bias changed from per-group to per-channel"),
        ("ImageScaler", 10, "ImageScaler was removed from ONNX"),
        ("Crop", 10, "Crop was removed from ONNX"),
        .. new[] { "ATen", "Affine", "ConstantFill", "DynamicSlice", "GivenTensorFill", "GRUUnit", "ParametricSoftplus", "Scale", "ScaledTanh" }
            .Select(op => (op, 10L, $"the experimental {op} was removed from ONNX")),
    ];

    public static IReadOnlyList<OpsetAdapter> All { get; } =
    [
        .. LegacyOpsetAdapters.All,
        new("Upsample", 10, UpsampleCheck, UpsampleToResize),
        new("Slice", 10, Always, (n, _) => { IntsToInput(n, "starts", 1); IntsToInput(n, "ends", 2); IntsToInput(n, "axes", 3); }),
        new("TopK", 10, Always, (n, _) => IntsToInput(n, "k", 1)),
        new("Resize", 11, ResizeCheck, (n, target) => ResizeTo11(n, target)),
        new("Clip", 11, n => n.Input(0)!.ElementType == ElementType.Float ? null : "the input is not known to be float (the bounds become float inputs)", (n, _) => { FloatToInput(n, "min", 1); FloatToInput(n, "max", 2); }),
        new("Pad", 11, PadCheck, (n, _) => { IntsToInput(n, "pads", 1); FloatToInput(n, "value", 2); }),
        new("Scatter", 11, Always, (n, _) => n.OpType = "ScatterElements"),
        new("Dropout", 12, Always, (n, _) => FloatToInput(n, "ratio", 1)),
        new("Squeeze", 13, Always, (n, _) => IntsToInput(n, "axes", 1)),
        new("Unsqueeze", 13, Always, (n, _) => IntsToInput(n, "axes", 1)),
        new("Split", 13, Always, (n, _) => IntsToInput(n, "split", 1)),
        new("ReduceSum", 13, Always, (n, _) => IntsToInput(n, "axes", 1)),
        new("Softmax", 13, LastAxisCheck, (_, _) => { }),
        new("LogSoftmax", 13, LastAxisCheck, (_, _) => { }),
        new("Hardmax", 13, LastAxisCheck, (_, _) => { }),
        new("BatchNormalization", 14, n => n.Outputs.Skip(1).Any(o => o is { Uses.Count: > 0 }) ? "its training outputs are used" : null,
            (n, _) => { n.RemoveAttribute("spatial"); n.TruncateOutputs(1); }),
        new("RoiAlign", 16, Always, (n, _) => { if (!n.HasAttribute("coordinate_transformation_mode")) SetString(n, "coordinate_transformation_mode", "output_half_pixel"); }),
        .. ReduceOps.Select(op => new OpsetAdapter(op, 18, Always, (n, _) => IntsToInput(n, "axes", 1))),
        // Split-18 needs the sizes or num_outputs; before, equal parts were implied by the output count.
        new("Split", 18, Always, (n, _) => { if (n.Input(1) is null) n.SetAttribute(Onnx.IR.Attribute.FromInt("num_outputs", n.Outputs.Count)); }),
        new("GridSample", 20, Always, (n, _) =>
        {
            var mode = n.GetString("mode", "bilinear");
            SetString(n, "mode", mode switch { "bilinear" => "linear", "bicubic" => "cubic", _ => mode });
        }),
    ];

    private static string? UpsampleCheck(Node n) =>
        n.GetString("mode", "nearest") == "nearest" && ScalesOf(n) is not { } s ? "nearest Upsample with non-constant scales cannot be carried to Resize exactly"
        : n.GetString("mode", "nearest") == "nearest" && ScalesOf(n)!.Any(x => x < 1) ? "nearest Upsample that shrinks rounds differently in Resize"
        : null;

    private static float[]? ScalesOf(Node n) => LegacyOpsetAdapters.UpsampleScales(n);

    // Upsample-9<mode>(x, scales) => Resize<mode, asymmetric, floor>(x, roi, scales)
    private static void UpsampleToResize(Node n, long target)
    {
        n.OpType = "Resize";
        if (target >= 11) ResizeTo11(n, target);
    }

    private static string? ResizeCheck(Node n) =>
        n.GetString("mode", "nearest") == "nearest" && (Patterns.ConstantFloats(n.Input(1)) is not { } s || s.Any(x => x < 1))
            ? "opset-10 nearest Resize with shrinking or non-constant scales rounds differently at 11" : null;

    // Resize-10(x, scales) => Resize-11(x, roi, scales) with the coordinates opset 10 used
    private static void ResizeTo11(Node n, long target)
    {
        var scales = n.Input(1);
        var roi = target >= 13 ? null : Patterns.AddInitializer(n.Graph!, "roi", Array.Empty<float>(), 0);
        n.TruncateInputs(1);
        n.AddInput(roi);
        n.AddInput(scales);
        SetString(n, "coordinate_transformation_mode", "asymmetric");
        if (n.GetString("mode", "nearest") == "nearest") SetString(n, "nearest_mode", "floor");
    }

    private static string? PadCheck(Node n) =>
        n.GetFloat("value", 0f) != 0f && n.Input(0)!.ElementType != ElementType.Float ? "a non-zero pad value for a tensor not known to be float" : null;

    private static string? LastAxisCheck(Node n)
    {
        var axis = n.GetInt("axis", 1);
        if (Patterns.Rank(n.Input(0)) is not { } rank) return $"{n.OpType} before opset 13 flattens from axis {axis}; the input rank is unknown";
        return axis == rank - 1 || axis == -1 ? null : $"{n.OpType} before opset 13 flattens from axis {axis} of a rank-{rank} input; opset 13 normalizes one axis";
    }
}
