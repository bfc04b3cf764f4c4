using Optimizer.Passes.Infrastructure;

namespace Optimizer.Cli.Output;

/// <summary>
/// What a pass did, in words that say what happened: computation removed and added apart from Constant nodes moved to
/// initializers (no computation), initializers removed and added, and weight bytes freed or added (new weights whose
/// predecessors go later, when eliminate-dead-code drops them unused).
/// </summary>
public static class PassSummaryText
{
    public static string Describe(PassRecord p)
    {
        var parts = new List<string>();
        var moved = Math.Min(p.ConstantNodesRemoved, p.InitializersAdded);
        var computeRemoved = p.NodesRemoved - p.ConstantNodesRemoved;
        if (computeRemoved > 0 || p.NodesAdded > 0) parts.Add($"nodes -{computeRemoved} +{p.NodesAdded}");
        if (moved > 0) parts.Add($"{moved} Constant node{S(moved)} made initializer{S(moved)} (no computation removed)");
        if (p.ConstantNodesRemoved - moved > 0) parts.Add($"{p.ConstantNodesRemoved - moved} Constant node{S(p.ConstantNodesRemoved - moved)} removed");
        var (initRemoved, initAdded) = (p.InitializersRemoved, p.InitializersAdded - moved);
        if (initRemoved > 0 || initAdded > 0) parts.Add($"initializers -{initRemoved} +{initAdded}");
        if (p.BytesSaved > 0) parts.Add($"{SummaryText.Bytes(p.BytesSaved)} of weights freed");
        else if (p.BytesSaved < 0) parts.Add($"{SummaryText.Bytes(-p.BytesSaved)} of new weights (those they replace are freed once unused)");
        if (parts.Count == 0) parts.Add(p.NodesRewritten > 0 ? $"{p.NodesRewritten} rewrite{S(p.NodesRewritten)} of node details" : "value information only");
        return string.Join(", ", parts);
    }

    /// <summary>The node counts of a run: computation nodes apart from the Constant nodes that hold weights.</summary>
    public static string Nodes(int total, int constants) =>
        constants == 0 ? $"{total} nodes" : $"{total} nodes, {constants} of them Constant nodes holding weights";

    private static string S(int n) => n == 1 ? "" : "s";
}
