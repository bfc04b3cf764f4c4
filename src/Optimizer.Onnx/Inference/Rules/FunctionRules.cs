using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>
/// A call of a model-local function: its body is inferred for this call's inputs (without writing types into the
/// body, which every call shares) and the call's outputs take the body outputs' facts.
/// </summary>
internal static class FunctionRules
{
    public static Rule? Find(Model model, Node node)
    {
        var function = model.Functions.FirstOrDefault(f => f.Name == node.OpType && f.Domain == node.Domain && f.Overload == node.Overload);
        return function is null ? null : c => Call(c, function);
    }

    private static void Call(NodeContext c, Function function)
    {
        var body = function.Body;
        var opsets = ShapeInference.Opsets(function.OpsetImports.Count > 0 ? function.OpsetImports : c.State.Model.OpsetImports);
        using (c.State.SuspendWrites())
        {
            c.State.Forget(body);
            for (var i = 0; i < body.Inputs.Count; i++)
                c.State.Bind(body.Inputs[i], SubgraphFacts.From(c.Input(i)));
            c.State.InferGraph(body, opsets);
        }
        for (var i = 0; i < c.OutputCount && i < body.Outputs.Count; i++)
            SubgraphFacts.SetOutput(c, i, SubgraphFacts.From(c.State.Facts(body.Outputs[i])));
        c.State.Forget(body);
    }
}
