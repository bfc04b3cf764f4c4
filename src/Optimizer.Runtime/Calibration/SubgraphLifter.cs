using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// Makes a tensor of an If/Loop/Scan body observable from the main graph: it becomes an output of its body and so a
/// new output of the node holding the body, repeatedly up to the main graph. An If's other branch outputs an empty
/// tensor of the same rank (no values: nothing added to the statistics when that branch runs); a Loop or Scan body
/// emits it as a scan output, so the node's new output stacks its value of every iteration. Min, max and histogram of
/// the lifted tensor are exactly those of the tensor over every time its body ran.
/// </summary>
internal sealed class SubgraphLifter
{
    private readonly Dictionary<Value, Value> _lifted = [];

    /// <summary>The main-graph value carrying <paramref name="value"/>'s values (itself when it is in the main graph).</summary>
    public Value Lift(Value value)
    {
        var graph = value.Graph ?? throw new InvalidOperationException($"'{value.Name}' belongs to no graph");
        if (graph.ParentNode is not { } holder) return value;
        if (_lifted.TryGetValue(value, out var done)) return done;
        // A body's formal input (or an initializer) is not a node output, and a body output is one already (a graph
        // lists an output once, so adding it again would shift the branches' outputs apart): an Identity gives each
        // its own new output.
        var emitted = value.Producer is null || value.IsGraphOutput ? Copy(graph, value) : value;
        var outer = holder.OpType switch
        {
            "If" when holder.IsDefaultDomain => LiftFromIf(holder, graph, emitted),
            "Loop" or "Scan" when holder.IsDefaultDomain => LiftAsScanOutput(holder, graph, emitted),
            _ => throw new InvalidInputException($"cannot calibrate '{value.Name}': it lives in a subgraph of {holder.OpType}, which only If, Loop and Scan bodies can be observed in"),
        };
        var result = Lift(outer);
        _lifted[value] = result;
        return result;
    }

    // then_branch: ... v  =>  outputs += v;  else_branch: outputs += Constant(float[0 x ... x 0]);  If: outputs += v'
    private static Value LiftFromIf(Node holder, Graph branch, Value value)
    {
        var rank = value.Shape?.Rank;
        foreach (var g in holder.Subgraphs)
        {
            if (g == branch) g.AddOutput(value);
            else
            {
                var dims = Enumerable.Repeat(0L, rank ?? 1).ToArray();
                var empty = g.AddNode("Constant", [], [g.UniqueValueName(value.Name + "_not_taken")],
                    [Attribute.FromTensor("value", Tensor.FromArray(value.Name + "_not_taken", Array.Empty<float>(), dims))]).Output();
                empty.Type = new TensorTypeInfo(ElementType.Float, new Shape(dims));
                g.AddOutput(empty);
            }
        }
        return NewOutput(holder, value);
    }

    // Loop body: (cond, carried..., scans...) => (cond, carried..., scans..., v); Scan body: (states..., scans..., v)
    private static Value LiftAsScanOutput(Node holder, Graph body, Value value)
    {
        body.AddOutput(value);
        if (holder.OpType == "Scan")
        {
            // Listed per scan output when given: the new one stacks along axis 0, forward.
            foreach (var name in new[] { "scan_output_axes", "scan_output_directions" })
                if (holder.GetInts(name) is { } list) holder.SetAttribute(Attribute.FromInts(name, [.. list, 0]));
        }
        return NewOutput(holder, value);
    }

    private static Value NewOutput(Node holder, Value inner)
    {
        var output = holder.AddOutput(holder.Graph!.UniqueValueName(inner.Name + "_observed"));
        // The rank is kept (dims unknown: an If's branches differ, a Loop stacks): lifted once more out of an If, the
        // other branch's empty tensor must have the same rank.
        var rank = inner.Shape?.Rank + (holder.OpType == "If" ? 0 : 1);
        output.Type = new TensorTypeInfo(ElementType.Float, rank is { } r ? new Shape(Enumerable.Repeat(Dim.Unknown, r)) : null);
        return output;
    }

    /// <summary>
    /// A new node output holding <paramref name="value"/>'s values: an Identity after its producer, or for a body's formal
    /// input at the start of the body.
    /// </summary>
    private static Value Copy(Graph graph, Value value)
    {
        var identity = new Node("Identity", [value], [graph.UniqueValueName(value.Name + "_observed")]);
        if (value.Producer is not null) graph.Append(identity);
        else graph.InsertBefore(graph.Nodes.Count > 0 ? graph.Nodes[0] : throw new InvalidInputException($"cannot calibrate '{value.Name}': its body has no nodes"), identity);
        identity.Output().Type = value.Type;
        return identity.Output();
    }
}
