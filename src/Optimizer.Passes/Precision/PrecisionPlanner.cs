using System.Globalization;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Precision;

/// <summary>
/// Decides, node by node, what the half-precision conversion converts. A node computes in half unless a rule keeps it
/// float32; the first rule that applies gives the reason:
/// <list type="number">
/// <item>an operator outside the ONNX domain (its kernels' types are not known here);</item>
/// <item>a sequence, optional or untyped value among its inputs and outputs (their element types are not rewritten);</item>
/// <item>control flow (If, Loop, Scan): a float32 interface; the bodies are converted inside;</item>
/// <item>the op's default block list (<see cref="HalfPrecisionOps"/>), --exclude, the accuracy budget;</item>
/// <item>a float computation on shapes (a value computed only from Shape/Size outputs and constants): half holds
/// integers exactly only up to 2048;</item>
/// <item>a reduction over more than <see cref="HalfPrecisionSettings.MaxReducedElements"/> elements, or an unknown number;</item>
/// <item>with observed ranges (float16 only): an output within the headroom of 65504, or a reduction whose sum would be.</item>
/// </list>
/// Cast-to-float and Constant nodes are cheap sources: they go half exactly when every consumer reads them in half.
/// </summary>
public static class PrecisionPlanner
{
    public static PrecisionPlan Plan(Model model, HalfPrecisionSettings settings)
    {
        var half = new HashSet<Node>();
        var kept = new List<(Node, string)>();
        var opset = Patterns.Opset(model);
        var shapeValues = ShapeValues(model);
        var scaled = OutOfRangeScales.Find(model, settings);
        var sources = new List<Node>();
        foreach (var graph in model.Graph.AllGraphs())
            foreach (var node in graph.Nodes)
            {
                if (!TouchesFloat(node)) continue;
                if (IsSource(node))
                {
                    sources.Add(node);
                    continue;
                }
                if ((WhyFloat(node, settings, shapeValues, opset) ?? scaled.GetValueOrDefault(node)) is { } reason) kept.Add((node, reason));
                else half.Add(node);
            }
        // Sources last, consumers first: a source in a chain of sources (Constant → Cast) reads any type at Cast's input.
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            var node = sources[i];
            var output = node.Output();
            if (WhyFloat(node, settings, shapeValues, opset) is { } reason) kept.Add((node, reason));
            else if (output.Uses.Any(u => half.Contains(u.Node) && Reads(u)) && output.Uses.All(u => !Reads(u) || half.Contains(u.Node))
                     && (!output.IsGraphOutput || !KeepsOutputFloat(output, settings)))
                half.Add(node);
        }
        var order = model.Graph.AllNodes().Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
        return new PrecisionPlan(half, kept.OrderBy(k => order[k.Item1]).ToList());
    }

    /// <summary>Whether a graph output must stay float32: the main graph's with --keep-io-types, and every subgraph's.</summary>
    public static bool KeepsOutputFloat(Value output, HalfPrecisionSettings settings) => output.Graph?.ParentNode is not null || settings.KeepIoTypes;

    /// <summary>Whether the use reads the value's float data as the node's type T (not at a float32-only or any-type input).</summary>
    private static bool Reads(Use use) => !HalfPrecisionOps.TakesAnyType(use.Node, use.InputIndex) && !HalfPrecisionOps.IsFloat32Input(use.Node, use.InputIndex);

    /// <summary>Cast to float32 and Constant nodes: converted when their consumers want half, not for their own sake.</summary>
    private static bool IsSource(Node node) => node.IsDefaultDomain && node.Outputs.Count == 1 && node.Outputs[0] is not null
        && (node.IsConstantNode || (node.OpType == "Cast" && node.GetInt("to", 0) == (long)ElementType.Float));

    public static bool TouchesFloat(Node node) =>
        node.Inputs.Concat(node.Outputs).Any(v => v?.ElementType == ElementType.Float) || ProducesFloatByDefault(node);

    /// <summary>ConstantOfShape without a value attribute writes float32 zeros, whatever its output's recorded type.</summary>
    private static bool ProducesFloatByDefault(Node node) => node is { OpType: "ConstantOfShape", IsDefaultDomain: true } && !node.HasAttribute("value");

    private static string? WhyFloat(Node node, HalfPrecisionSettings settings, HashSet<Value> shapeValues, long opset)
    {
        if (!node.IsDefaultDomain) return $"an operator of domain '{node.Domain}': its kernels' types are not known here";
        if (node.Inputs.Concat(node.Outputs).FirstOrDefault(v => v is not null && v.TensorType is not { ElementType: not ElementType.Undefined }) is { } odd)
            return $"'{odd.Name}' is {(odd.Type is null ? "untyped" : odd.Type.ToString())}: only tensors of known element type are converted";
        if (HalfPrecisionOps.ControlFlow.Contains(node.OpType)) return "control flow keeps a float32 interface; its bodies are converted inside";
        if (HalfPrecisionOps.BlockReason(node, opset, settings.Target) is { } blocked) return blocked;
        if (settings.IsExcluded(node)) return "--exclude";
        if (settings.IsKeptByBudget(node)) return "the accuracy budget keeps it float32";
        if (node.Inputs.Any(v => v is { ElementType: ElementType.Float } && shapeValues.Contains(v))
            || (node.OpType == "Cast" && node.Outputs.Any(v => v is not null && shapeValues.Contains(v))))
            return "it computes shapes in float: half holds integers exactly only up to 2048";
        if (HalfPrecisionOps.Reductions.Contains(node.OpType) && node.Input(0)?.ElementType == ElementType.Float)
        {
            var count = ReducedCount(node);
            if (count is null) return "a reduction over an unknown number of elements";
            if (count > settings.MaxReducedElements) return $"a reduction over {count} elements (more than {settings.MaxReducedElements}): its sum outgrows half";
            if (RangeLimit(settings) is { } limit && settings.Ranges is { } r && node.Input(0) is { } x && r.TryGetValue(x.Name, out var xr)
                && (double)xr.AbsMax * count * (node.OpType is "ReduceSumSquare" or "ReduceL2" ? xr.AbsMax : 1) >= limit)
                return $"its sum over {count} elements of |x| up to {Show(xr.AbsMax)} would reach {Show(limit)} (float16 range with headroom)";
        }
        if (RangeLimit(settings) is { } max && settings.Ranges is { } ranges)
        {
            foreach (var output in node.Outputs)
                if (output is { ElementType: ElementType.Float } && ranges.TryGetValue(output.Name, out var range) && !(range.AbsMax < max))
                    return $"'{output.Name}' reached |x| = {Show(range.AbsMax)} on the calibration data, beyond {Show(max)} (float16's 65504 with headroom {Show(settings.RangeHeadroom)})";
            // A reader of such a value would cast it to half on the way in, and overflow there.
            foreach (var input in node.Inputs)
                if (input is { ElementType: ElementType.Float } && !HalfPrecisionOps.TakesAnyType(node, node.Inputs.ToList().IndexOf(input))
                    && ranges.TryGetValue(input.Name, out var range) && !(range.AbsMax < max))
                    return $"it reads '{input.Name}', which reached |x| = {Show(range.AbsMax)} on the calibration data, beyond {Show(max)}";
        }
        return null;
    }

    private static float? RangeLimit(HalfPrecisionSettings settings) => settings.MaxFinite / settings.RangeHeadroom;

    /// <summary>How many elements each output element of a reduction sums, when the input shape and axes are known.</summary>
    public static long? ReducedCount(Node node)
    {
        if (node.Input(0)?.Shape is not { } shape) return null;
        IEnumerable<int> axes;
        if (node.OpType is "GlobalAveragePool" or "GlobalLpPool") axes = Enumerable.Range(2, Math.Max(0, shape.Rank - 2));
        else
        {
            var given = node.GetAttribute("axes")?.Ints ?? (node.Input(1) is { } a ? Patterns.ConstantInts(a) : []);
            if (given is null) return null;
            if (given.Length == 0 && node.GetInt("noop_with_empty_axes", 0) != 0) return 1;
            axes = given.Length == 0 ? Enumerable.Range(0, shape.Rank) : given.Select(x => (int)(x < 0 ? x + shape.Rank : x));
        }
        long count = 1;
        foreach (var axis in axes)
        {
            if (axis < 0 || axis >= shape.Rank || shape[axis].Value is not { } d) return null;
            count *= d;
        }
        return count;
    }

    /// <summary>
    /// Values computed only from shapes: the outputs of Shape and Size, and of every node whose inputs are all such
    /// values or constants (Cast, Gather, Concat, arithmetic on dims). Exporters compute Resize scales and Reshape
    /// targets this way, in float32.
    /// </summary>
    /// <summary>Constants larger than this (an embedding table a Gather reads by position) are data, not shape arithmetic.</summary>
    private const long MaxShapeConstant = 64;

    /// <summary>Ops whose output values come from an attribute or a data input, not from the shape they are given.</summary>
    private static readonly HashSet<string> FillsFromAttributes = ["ConstantOfShape", "EyeLike", "RandomNormalLike", "RandomUniformLike", "Expand", "Reshape", "Tile"];

    private static HashSet<Value> ShapeValues(Model model)
    {
        var result = new HashSet<Value>();
        foreach (var graph in model.Graph.AllGraphs())
            foreach (var node in graph.Nodes)
            {
                var fromShapes = node.OpType is "Shape" or "Size"
                    || (!node.IsConstantNode && !FillsFromAttributes.Contains(node.OpType) && !node.Subgraphs.Any()
                        && node.Inputs.Any(v => v is not null && result.Contains(v))
                        && node.Inputs.All(v => v is null || result.Contains(v) || v.GetConstant() is { ElementCount: <= MaxShapeConstant }));
                if (!fromShapes) continue;
                foreach (var output in node.Outputs)
                    if (output is not null) result.Add(output);
            }
        return result;
    }

    private static string Show(float x) => x.ToString("G4", CultureInfo.InvariantCulture);
}
