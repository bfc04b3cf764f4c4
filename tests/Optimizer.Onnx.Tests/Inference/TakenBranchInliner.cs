using Optimizer.Onnx.IR;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>
/// Makes the values inside If branches observable in ONNX Runtime: each main-graph If whose condition a run showed
/// is replaced by the nodes of the branch taken, round after round, until no If is left in the main graph. Every
/// value keeps its name, so it can be matched with the same value of the untouched model.
/// </summary>
internal static class TakenBranchInliner
{
    /// <summary>Runs <paramref name="probe"/> with every main-graph value as an output, inlining taken branches first.</summary>
    public static Dictionary<string, TestTensor> RunWithEveryValue(Model probe, IReadOnlyDictionary<string, TestTensor> inputs)
    {
        while (true)
        {
            foreach (var v in probe.Graph.Nodes.SelectMany(n => n.Outputs))
                if (v is { IsGraphOutput: false }) probe.Graph.AddOutput(v);
            var real = OrtRunner.Run(probe, inputs);
            var ifs = probe.Graph.Nodes.Where(n => n.OpType == "If" && n.Input(0) is { } c && real.ContainsKey(c.Name)).ToList();
            if (ifs.Count == 0) return real;
            foreach (var node in ifs)
            {
                var taken = ((bool[])real[node.Input(0)!.Name].Data)[0] ? "then_branch" : "else_branch";
                Inline(probe.Graph, node, node.GetAttribute(taken)!.Graph!);
            }
        }
    }

    private static void Inline(Graph main, Node ifNode, Graph branch)
    {
        var results = branch.Outputs.ToList();
        for (var i = results.Count - 1; i >= 0; i--) branch.RemoveOutputAt(i);
        var nodes = branch.Nodes.ToList();
        branch.RemoveNodes(nodes);
        foreach (var init in branch.Initializers.ToList())
        {
            var tensor = init.Initializer!;
            branch.RemoveInitializer(init);
            main.AddInitializer(tensor);
        }
        foreach (var node in nodes)
        {
            main.InsertBefore(ifNode, node);
            Reattach(node);
        }
        for (var i = 0; i < results.Count; i++) ifNode.Output(i).ReplaceAllUsesWith(results[i]);
        main.RemoveNode(ifNode);
    }

    /// <summary>Removing nodes from the branch detached their uses (and their subgraphs' uses); they count again.</summary>
    private static void Reattach(Node node)
    {
        node.ReattachInputs();
        foreach (var inner in node.Subgraphs.SelectMany(g => g.Nodes)) Reattach(inner);
    }
}
