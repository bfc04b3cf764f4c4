using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>If, Loop and Scan: their subgraphs are inferred, and the node's outputs follow from the subgraphs' outputs.</summary>
internal static class ControlFlowRules
{
    private const int MaxBodyRounds = 4;

    /// <summary>If: both branches are inferred; an output is what both branches agree on (or the taken branch's, for a known condition).</summary>
    public static void If(NodeContext c)
    {
        if (c.Node.GetAttribute("then_branch")?.Graph is not { } then || c.Node.GetAttribute("else_branch")?.Graph is not { } otherwise) return;
        c.State.InferGraph(then, c.Opsets);
        c.State.InferGraph(otherwise, c.Opsets);
        var cond = c.InputValue(0) is [{ ConstantValue: { } k }] ? k != 0 : (bool?)null;
        for (var i = 0; i < c.OutputCount; i++)
        {
            if (i >= then.Outputs.Count || i >= otherwise.Outputs.Count) throw c.Fail("a branch has fewer outputs than the node");
            var (a, b) = (c.State.Facts(then.Outputs[i]), c.State.Facts(otherwise.Outputs[i]));
            SubgraphFacts.SetOutput(c, i, cond switch { true => SubgraphFacts.From(a), false => SubgraphFacts.From(b), null => SubgraphFacts.Merge(a, b) });
        }
    }

    /// <summary>
    /// Loop(M, cond, v...): body(iter, cond, v...) -> (cond, v..., scan...). Carried values start from the initial
    /// ones and are relaxed until the body gives them back unchanged; scan outputs get a leading trip-count dim.
    /// </summary>
    public static void Loop(NodeContext c)
    {
        if (c.Node.GetAttribute("body")?.Graph is not { } body) return;
        var carried = c.InputCount - 2;
        if (body.Inputs.Count != carried + 2 || body.Outputs.Count < carried + 1) throw c.Fail("the body's inputs and outputs do not match the node's");
        OutputFacts[] prefix =
        [
            new() { ElementType = ElementType.Int64, Shape = [] },
            new() { ElementType = ElementType.Bool, Shape = [] },
        ];
        var initial = Enumerable.Range(2, carried).Select(i => SubgraphFacts.From(c.Input(i), withData: false)).ToArray();
        var bound = InferBody(c, body, prefix, initial, outputOffset: 1);
        for (var j = 0; j < carried; j++)
            SubgraphFacts.SetOutput(c, j, SubgraphFacts.Merge(bound[j], c.State.Facts(body.Outputs[j + 1])));
        var trips = !c.HasInput(1) && c.InputValue(0) is [{ IsConstant: true } m] ? m : null;
        for (var k = carried; k < c.OutputCount && k + 1 < body.Outputs.Count; k++)
        {
            var scan = c.State.Facts(body.Outputs[k + 1]);
            SubgraphFacts.SetOutput(c, k, new OutputFacts
            {
                ElementType = scan.ElementType,
                Shape = scan.Shape is null ? null : [trips, .. scan.Shape],
            });
        }
    }

    /// <summary>
    /// Scan (opset 9+): body(state..., slices...) -> (state..., scan outputs...). Slices drop the scan axis; scan
    /// outputs get the sequence length inserted at their axis.
    /// </summary>
    public static void Scan(NodeContext c)
    {
        if (c.Opset < 9 || c.Node.GetAttribute("body")?.Graph is not { } body) return;
        var scanInputs = (int)c.Int("num_scan_inputs", 0);
        var states = c.InputCount - scanInputs;
        var inputAxes = c.Ints("scan_input_axes") ?? new long[scanInputs];
        var outputAxes = c.Ints("scan_output_axes") ?? new long[Math.Max(0, c.OutputCount - states)];
        SymDim? length = null;
        var slices = new OutputFacts[scanInputs];
        for (var j = 0; j < scanInputs; j++)
        {
            var input = c.Input(states + j);
            var shape = input.Shape;
            var axis = shape is null ? 0 : c.Axis(inputAxes[j], shape.Length);
            length ??= shape?[axis];
            slices[j] = new OutputFacts { ElementType = input.ElementType, Shape = shape?.Where((_, i) => i != axis).Select(d => (SymDim?)d).ToArray() };
        }
        var initial = Enumerable.Range(0, states).Select(i => SubgraphFacts.From(c.Input(i), withData: false)).ToArray();
        var bound = InferBody(c, body, [], initial, outputOffset: 0, suffix: slices);
        for (var j = 0; j < states; j++)
            SubgraphFacts.SetOutput(c, j, SubgraphFacts.Merge(bound[j], c.State.Facts(body.Outputs[j])));
        for (var k = states; k < c.OutputCount && k < body.Outputs.Count; k++)
        {
            var scan = c.State.Facts(body.Outputs[k]);
            SymDim?[]? shape = null;
            if (scan.Shape is not null)
            {
                var list = DimMath.Open(scan.Shape).ToList();
                list.Insert(c.Axis(outputAxes[k - states], list.Count + 1), length);
                shape = list.ToArray();
            }
            SubgraphFacts.SetOutput(c, k, new OutputFacts { ElementType = scan.ElementType, Shape = shape });
        }
    }

    /// <summary>
    /// Infers a body whose inputs are <paramref name="prefix"/>, the carried values, then <paramref name="suffix"/>;
    /// the carried values come back as outputs from <paramref name="outputOffset"/>. Rounds without writing relax a
    /// carried dim the body changes, then a last round writes. Returns the carried values' facts as bound.
    /// </summary>
    private static ValueFacts[] InferBody(NodeContext c, Graph body, OutputFacts[] prefix, OutputFacts[] carried, int outputOffset, OutputFacts[]? suffix = null)
    {
        var inputs = prefix.Concat(carried).Concat(suffix ?? []).ToArray();
        if (inputs.Length != body.Inputs.Count) throw c.Fail($"the body has {body.Inputs.Count} inputs, the node gives {inputs.Length}");
        for (var round = 0; ; round++)
        {
            var last = round == MaxBodyRounds;
            using (last ? null : c.State.SuspendWrites())
            {
                c.State.Forget(body);
                for (var i = 0; i < inputs.Length; i++) c.State.Bind(body.Inputs[i], inputs[i]);
                c.State.InferGraph(body, c.Opsets);
            }
            var bound = carried.Select((_, j) => c.State.Facts(body.Inputs[prefix.Length + j])).ToArray();
            if (last) return bound;
            var settled = true;
            for (var j = 0; j < carried.Length; j++)
            {
                var next = c.State.Facts(body.Outputs[outputOffset + j]);
                if (SubgraphFacts.Settled(bound[j], next)) continue;
                settled = false;
                carried[j] = SubgraphFacts.Merge(bound[j], next);
                inputs[prefix.Length + j] = carried[j];
            }
            if (settled) round = MaxBodyRounds - 1;
        }
    }
}
