using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Precision;

/// <summary>What the conversion did, for the report.</summary>
public sealed record HalfPrecisionResult
{
    public int ConvertedNodes { get; init; }
    public IReadOnlyList<KeptFloat> KeptFloat { get; init; } = [];
    public int ConvertedConstants { get; init; }
    /// <summary>Constants read both in half and in float32: kept, with a half copy beside them.</summary>
    public int CopiedConstants { get; init; }
    public int CastsInserted { get; init; }
    public IReadOnlyList<ConstantClamp> Clamped { get; init; } = [];
}

/// <summary>
/// Converts the model's float32 computation to float16 or bfloat16 as <see cref="PrecisionPlanner"/> decided, in every
/// graph (If/Loop/Scan bodies too):
/// <list type="bullet">
/// <item>a converted node's float32 outputs become half (except outputs float32 by the spec), and its attributes follow:
/// Cast <c>to</c>, Constant and ConstantOfShape <c>value</c> (EyeLike and the random ops, which take their type from
/// <c>dtype</c>, stay float32: see <see cref="HalfPrecisionOps"/>);</item>
/// <item>float32 constants (initializers, Constant nodes) read only in half are converted in place (clamped, see
/// <see cref="HalfTensors"/>); read both ways, a half copy is added;</item>
/// <item>then every read of a value whose type differs from what its reader needs gets a Cast, one per value and type
/// (placed right after the value's definition, so the order stays topological and every reader shares it); graph
/// outputs that must stay float32 get a Cast that takes over their name, and without --keep-io-types an output an If, Loop or
/// Scan gives from half values of its bodies gets a Cast to half.</item>
/// </list>
/// Types are written on every value it changes or adds, so the model stays typed for the passes after it.
/// </summary>
public sealed class HalfPrecisionConversion(HalfPrecisionSettings settings) : IPass
{
    public string Name => "half-precision";

    public string Description => "Converts float32 computation to float16/bfloat16 with casts at the borders (--quantize fp16|bf16).";

    public PassKind Kind => PassKind.Quantization;

    /// <summary>What the last run did.</summary>
    public HalfPrecisionResult? Result { get; private set; }

    public ElementType Target => settings.Target;

    public PassResult Run(Model model, PassContext context)
    {
        var minimum = Target == ElementType.BFloat16 ? BFloat16Opset.Required : HalfPrecisionOps.MinimumOpset;
        if (Patterns.Opset(model) < minimum)
        {
            var reason = Target == ElementType.BFloat16
                ? $"the model imports ONNX opset {Patterns.Opset(model)}: ONNX admits bfloat16 for most ops from opset {BFloat16Opset.Required} (--quantize bf16 upgrades the model first)"
                : $"the model imports ONNX opset {Patterns.Opset(model)}: before opset {HalfPrecisionOps.MinimumOpset}, Cast takes its type as a string and ONNX Runtime has no kernel for it (upgrade with --opset)";
            context.Decline("(model)", reason);
            Result = new HalfPrecisionResult { KeptFloat = [new KeptFloat("(model)", "", reason)] };
            return PassResult.Unchanged;
        }
        var plan = PrecisionPlanner.Plan(model, settings);
        foreach (var (node, reason) in plan.KeptFloatNodes) context.Decline(node, "kept float32: " + reason);
        var clamps = new List<ConstantClamp>();
        var (converted, copied) = (0, 0);
        // 1. decide the new type of every float32 value (before anything changes, so uses are read as they were)
        var toHalf = new HashSet<Value>();
        var copies = new List<Value>();
        foreach (var graph in model.Graph.AllGraphs())
        {
            if (graph.ParentNode is null && !settings.KeepIoTypes)
                foreach (var input in graph.Inputs)
                    if (input.ElementType == ElementType.Float && !input.IsInitializer) toHalf.Add(input);
            foreach (var init in graph.Initializers)
            {
                if (init.ElementType != ElementType.Float || init.IsOverridable) continue;
                var (wantHalf, wantFloat) = Readers(init, plan);
                if (wantHalf && !wantFloat) toHalf.Add(init);
                else if (wantHalf) copies.Add(init);
            }
            foreach (var node in graph.Nodes)
            {
                if (!plan.IsHalf(node)) continue;
                for (var i = 0; i < node.Outputs.Count; i++)
                    if (node.Outputs[i] is { ElementType: ElementType.Float } output && !HalfPrecisionOps.IsFloat32Output(node, i)) toHalf.Add(output);
            }
        }
        // 2. rewrite constants, attributes and types
        foreach (var value in toHalf)
        {
            if (value.Initializer is { } tensor)
            {
                var (half, clamp) = HalfTensors.Convert(tensor, Target, tensor.Name);
                tensor.SetData(Target, tensor.Dims.ToArray(), half.GetRawBytes());
                if (clamp is not null) clamps.Add(clamp);
                converted++;
            }
            SetType(value, Target);
        }
        foreach (var init in copies)
        {
            var graph = init.Graph!;
            var (half, clamp) = HalfTensors.Convert(init.Initializer!, Target, graph.UniqueValueName(init.Name + Suffix(Target)));
            var copy = graph.AddInitializer(half);
            if (clamp is not null) clamps.Add(clamp);
            foreach (var use in init.Uses.ToList())
                if (plan.IsHalf(use.Node) && ReadsAsData(use)) use.Node.SetInput(use.InputIndex, copy);
            copied++;
        }
        var nodes = 0;
        foreach (var node in plan.Half)
        {
            nodes += context.Step($"to {Target.ShortName()}", node);
            var clamp = RewriteAttributes(node);
            if (clamp is not null) clamps.Add(clamp);
            if (node.IsConstantNode) converted++;
        }
        // 3. casts where a reader needs another type than the value now has: a half reader of a float32 value, or a
        // float32 reader (or float32-only input) of a value converted above. Values that were half before are left alone.
        var casts = new Dictionary<(Value, ElementType), Value>();
        foreach (var graph in model.Graph.AllGraphs().ToList())
            foreach (var node in graph.Nodes.ToList())
                for (var i = 0; i < node.Inputs.Count; i++)
                {
                    if (node.Inputs[i] is not { } value || HalfPrecisionOps.TakesAnyType(node, i)) continue;
                    var wantsHalf = plan.IsHalf(node) && !HalfPrecisionOps.IsFloat32Input(node, i);
                    if (value.ElementType == ElementType.Float && wantsHalf) node.SetInput(i, CastOf(value, Target, casts, context));
                    else if (toHalf.Contains(value) && !wantsHalf) node.SetInput(i, CastOf(value, ElementType.Float, casts, context));
                }
        var outputCasts = 0;
        // read before the bodies' outputs get their float32 Casts below
        List<Value> halfInside = settings.KeepIoTypes ? [] : HalfInsideControlFlow(model.Graph, toHalf);
        foreach (var graph in model.Graph.AllGraphs().ToList())
            for (var i = 0; i < graph.Outputs.Count; i++)
                if (toHalf.Contains(graph.Outputs[i]) && PrecisionPlanner.KeepsOutputFloat(graph.Outputs[i], settings))
                {
                    KeepOutputFloat(graph, graph.Outputs[i], context);
                    outputCasts++;
                }
        outputCasts += HalfOutputs(model.Graph, halfInside, context);
        Result = new HalfPrecisionResult
        {
            ConvertedNodes = plan.Half.Count(n => !n.IsConstantNode),
            KeptFloat = plan.KeptFloat,
            ConvertedConstants = converted,
            CopiedConstants = copied,
            CastsInserted = casts.Count + outputCasts,
            Clamped = clamps,
        };
        foreach (var c in clamps.Where(c => c.AboveRange > 0))
            context.Log($"warning: constant '{c.Tensor}' holds {c.AboveRange} values beyond float16's ±65504 (range [{c.Min:G4}, {c.Max:G4}]): clamped to ±65504");
        return PassResult.FromRewrites(nodes + converted + copied + casts.Count + outputCasts);
    }

    /// <summary>
    /// The main graph's float32 outputs that an If, Loop or Scan gives from values its bodies compute in half: only the
    /// node's float32 interface keeps them float32. (An output computed in float32 inside, kept by the range check or a
    /// blocked op, is not among them: in half it could overflow.)
    /// </summary>
    private static List<Value> HalfInsideControlFlow(Graph main, HashSet<Value> toHalf) =>
        main.Outputs.Distinct().Where(o => o.ElementType == ElementType.Float && o.Producer is { } p && IsControlFlow(p) && IsHalfInside(o, toHalf)).ToList();

    private static bool IsControlFlow(Node node) => node is { OpType: "If" or "Loop" or "Scan", IsDefaultDomain: true };

    /// <summary>Whether <paramref name="value"/> is half, or a control-flow output that every body gives from a half value (nested too).</summary>
    private static bool IsHalfInside(Value value, HashSet<Value> toHalf)
    {
        if (toHalf.Contains(value)) return true;
        if (value.Producer is not { } node || !IsControlFlow(node)) return false;
        // Loop's body outputs start with the condition; If's and Scan's match the node's outputs one for one
        var index = node.Outputs.ToList().IndexOf(value) + (node.OpType == "Loop" ? 1 : 0);
        var bodies = node.Subgraphs.ToList();
        return bodies.Count > 0 && bodies.All(b => index < b.Outputs.Count && IsHalfInside(b.Outputs[index], toHalf));
    }

    /// <summary>
    /// With --no-keep-io-types, the outputs <see cref="HalfInsideControlFlow"/> found turn half like the other outputs of
    /// converted values: a Cast to half takes over the name, so a caller feeding an output back (a recurrent state into its
    /// half input) gets the type the input takes. Returns the number of Casts added.
    /// </summary>
    private int HalfOutputs(Graph main, IReadOnlyList<Value> outputs, PassContext context)
    {
        foreach (var output in outputs)
        {
            var name = output.Name;
            var cast = OutputCasts.TakeOver(main, output, Target, "_fp32");
            context.Step($"cast f32 -> {Target.ShortName()} for graph output '{name}' (--no-keep-io-types)", cast);
        }
        return outputs.Count;
    }

    private static string Suffix(ElementType type) => "_" + type.ShortName();

    /// <summary>Whether the use reads the value as the node's data type T (not at a float32-only or any-type input).</summary>
    private static bool ReadsAsData(Use use) => !HalfPrecisionOps.TakesAnyType(use.Node, use.InputIndex) && !HalfPrecisionOps.IsFloat32Input(use.Node, use.InputIndex);

    /// <summary>Whether some reader of <paramref name="value"/> wants half, and whether some wants float32 (graph outputs included).</summary>
    private (bool Half, bool Float) Readers(Value value, PrecisionPlan plan)
    {
        var (half, single) = (false, false);
        foreach (var use in value.Uses)
        {
            if (HalfPrecisionOps.TakesAnyType(use.Node, use.InputIndex)) continue;
            if (plan.IsHalf(use.Node) && ReadsAsData(use)) half = true;
            else single = true;
        }
        if (value.IsGraphOutput && PrecisionPlanner.KeepsOutputFloat(value, settings)) single = true;
        return (half, single);
    }

    private static void SetType(Value value, ElementType type) =>
        value.Type = value.TensorType is { } t ? t with { ElementType = type } : new TensorTypeInfo(type, null);

    /// <summary>The attributes that fix a converted node's output type follow it.</summary>
    private ConstantClamp? RewriteAttributes(Node node)
    {
        switch (node.OpType)
        {
            case "Cast" when node.GetInt("to", 0) == (long)ElementType.Float:
                node.SetAttribute(Attribute.FromInt("to", (long)Target));
                return null;
            case "ConstantOfShape":
                if (node.GetAttribute("value") is { Tensor: { ElementType: ElementType.Float } v })
                {
                    var (t, c) = HalfTensors.Convert(v, Target, v.Name);
                    node.SetAttribute(Attribute.FromTensor("value", t));
                    return c;
                }
                if (!node.HasAttribute("value")) node.SetAttribute(Attribute.FromTensor("value", HalfTensors.Scalar("value", Target, 0f, 1)));
                return null;
            case "Constant" when node.IsConstantNode && ConstantNodes.GetValue(node) is { ElementType: ElementType.Float } value:
            {
                var (t, c) = HalfTensors.Convert(value, Target, node.Output().Name);
                foreach (var a in node.Attributes.Select(a => a.Name).ToList()) node.RemoveAttribute(a);
                node.SetAttribute(Attribute.FromTensor("value", t));
                return c;
            }
            default:
                return null;
        }
    }

    /// <summary>The value cast to <paramref name="type"/>: one Cast per value and type, right after the value's definition.</summary>
    private static Value CastOf(Value value, ElementType type, Dictionary<(Value, ElementType), Value> casts, PassContext context)
    {
        if (casts.TryGetValue((value, type), out var existing)) return existing;
        var graph = value.Graph!;
        var suffix = type == ElementType.Float ? "_fp32" : Suffix(type);
        var cast = new Node("Cast", [value], [graph.UniqueValueName(value.Name + suffix)], name: graph.UniqueNodeName(value.Name + "_cast" + suffix));
        cast.SetAttribute(Attribute.FromInt("to", (long)type));
        if (value.Producer is { } producer && producer.Graph == graph) graph.InsertAfter(producer, cast);
        else if (graph.Nodes.Count > 0) graph.InsertBefore(graph.Nodes[0], cast);
        else graph.Append(cast);
        SetType(cast.Output(), type);
        if (value.Shape is { } shape) cast.Output().Type = new TensorTypeInfo(type, shape);
        context.Step($"cast {value.ElementType.ShortName()} -> {type.ShortName()} inserted", cast);
        casts[(value, type)] = cast.Output();
        return cast.Output();
    }

    /// <summary>
    /// An output of <paramref name="graph"/> must stay float32 but its value is now half: a Cast to
    /// float32 takes over the output's name (the interface keeps its names), and the half value is renamed.
    /// </summary>
    private void KeepOutputFloat(Graph graph, Value value, PassContext context)
    {
        var name = value.Name;
        var cast = OutputCasts.TakeOver(graph, value, ElementType.Float, Suffix(Target));
        context.Step($"cast {Target.ShortName()} -> f32 for graph output '{name}'", cast);
    }
}
