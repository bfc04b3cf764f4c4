using System.Diagnostics;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Verification;

namespace Optimizer.Passes.Infrastructure;

/// <summary>
/// Runs passes in order: each one once, or until it changes nothing when it asks for a fixed point; the verifier
/// after each one when <see cref="PassOptions.Verify"/> is set; and, when a pass throws, an error naming the pass
/// and the passes that ran before it.
/// </summary>
public static class PassRunner
{
    public static IReadOnlyList<PassRecord> Run(Model model, IReadOnlyList<IPass> passes, PassContext context)
    {
        var records = new List<PassRecord>();
        foreach (var pass in passes)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            records.Add(RunOne(model, pass, context, records));
        }
        return records;
    }

    private static PassRecord RunOne(Model model, IPass pass, PassContext context, List<PassRecord> before)
    {
        var clock = Stopwatch.StartNew();
        var census = ModelCensus.Take(model);
        var declines = context.Diagnostics.Declines.Count;
        context.CurrentPass = pass.Name;
        var iterations = 0;
        var rewrites = 0;
        var changed = false;
        try
        {
            while (true)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                iterations++;
                var result = pass.Run(model, context);
                rewrites += result.Rewrites;
                changed |= result.Changed;
                if (!result.Changed || !pass.RepeatToFixedPoint || iterations >= context.Options.MaxIterations) break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OptimizerException)
        {
            throw new PassFailedException(pass.Name, before.Select(r => r.Name).ToList(), e.Message, e);
        }
        finally
        {
            context.CurrentPass = "";
        }
        if (context.Options.Verify && ModelVerifier.Verify(model) is { Count: > 0 } problems)
            throw new PassFailedException(pass.Name, before.Select(r => r.Name).ToList(),
                "left an invalid model: " + string.Join("; ", problems.Take(5)), null);
        var after = ModelCensus.Take(model);
        var (removed, added, saved) = census.Compare(after);
        context.Log($"{pass.Name}: {rewrites} rewrites, -{removed}/+{added} nodes, {saved} bytes saved ({clock.Elapsed.TotalMilliseconds:0} ms)");
        return new PassRecord
        {
            Name = pass.Name,
            Iterations = iterations,
            Changed = changed,
            NodesRemoved = removed,
            NodesAdded = added,
            NodesRewritten = rewrites,
            BytesSaved = saved,
            ConstantNodesRemoved = census.ConstantNodesRemovedBy(after),
            InitializersRemoved = census.InitializersRemovedBy(after),
            InitializersAdded = after.InitializersRemovedBy(census),
            Declines = context.Diagnostics.Declines.Count - declines,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }
}

/// <summary>A pass threw or broke an invariant. The message names the pass and every pass that ran before it.</summary>
public sealed class PassFailedException(string pass, IReadOnlyList<string> before, string message, Exception? inner)
    : OptimizerException($"pass '{pass}' failed (after {(before.Count == 0 ? "no other pass" : string.Join(", ", before))}): {message}" +
        $" (this is a bug in the pass: leave it out with --passes, see 'optimize passes', and report the model)", inner)
{
    public override int ExitCode => ExitCodes.InternalError;

    public string Pass { get; } = pass;

    public IReadOnlyList<string> PassesBefore { get; } = before;
}

/// <summary>The nodes (by identity) and constant bytes of a model at one moment, to tell what a pass changed.</summary>
internal sealed class ModelCensus
{
    private readonly HashSet<Node> _nodes;
    private readonly HashSet<Value> _initializers;
    private readonly long _bytes;

    private ModelCensus(HashSet<Node> nodes, HashSet<Value> initializers, long bytes)
    {
        _nodes = nodes;
        _initializers = initializers;
        _bytes = bytes;
    }

    public static ModelCensus Take(Model model)
    {
        var nodes = model.Graph.AllNodes().ToHashSet();
        var initializers = model.Graph.AllGraphs().SelectMany(g => g.Initializers).ToHashSet();
        var bytes = initializers.Sum(v => v.Initializer!.ByteCount)
            + nodes.Where(n => n.IsConstantNode).Sum(n => ConstantNodes.GetValue(n)?.ByteCount ?? 0);
        return new ModelCensus(nodes, initializers, bytes);
    }

    /// <summary>Constant nodes of this census that <paramref name="after"/> no longer has (weights moved or dropped, no computation).</summary>
    public int ConstantNodesRemovedBy(ModelCensus after) => _nodes.Count(n => n.IsConstantNode && !after._nodes.Contains(n));

    /// <summary>Initializers of this census that <paramref name="after"/> no longer has.</summary>
    public int InitializersRemovedBy(ModelCensus after) => _initializers.Count(v => !after._initializers.Contains(v));

    public (int Removed, int Added, long BytesSaved) Compare(ModelCensus after) =>
        (_nodes.Count(n => !after._nodes.Contains(n)), after._nodes.Count(n => !_nodes.Contains(n)), _bytes - after._bytes);
}
