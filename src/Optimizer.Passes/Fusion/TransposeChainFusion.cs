using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>Two consecutive Transposes become one (or none, when their permutations cancel).</summary>
public sealed class TransposeChainFusion : RewritePass<TransposeChainFusion.Match>
{
    public sealed record Match(Node First, Node Second, long[] Perm);

    public override string Name => "fuse-transposes";

    public override string Description => "Merges consecutive Transposes into one, or removes them when they cancel.";

    public override PassKind Kind => PassKind.Fusion;

    public override bool RepeatToFixedPoint => true;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Transpose" };

    protected override MatchResult<Match> Check(Node second, Model model, PassContext context)
    {
        if (Patterns.ProducerOf(second.Input(0), "Transpose", second) is not { } first) return MatchResult<Match>.NoMatch;
        if (!Patterns.HasSingleUse(first.Output())) return new Fail("the first Transpose's output is also used elsewhere");
        var rank = Patterns.Rank(first.Input(0));
        var p1 = first.GetInts("perm") ?? Reverse(rank);
        var p2 = second.GetInts("perm") ?? Reverse(rank ?? p1?.Length);
        if (p1 is null || p2 is null || p1.Length != p2.Length) return new Fail("a permutation is implicit and the rank unknown");
        var perm = p2.Select(i => p1[i]).ToArray();
        if (perm.Select((p, i) => p == i).All(b => b) && Patterns.WhyNotReplaceable(second.Output(), first.Input(0)!) is { } why)
            return new Fail(why);
        return new Match(first, second, perm);
    }

    // y = Transpose<p1>(x); z = Transpose<p2>(y) => z = Transpose<p1[p2[i]]>(x), or z = x when that is the identity
    protected override void Rewrite(Match m, PassContext context)
    {
        var x = m.First.Input(0)!;
        if (m.Perm.Select((p, i) => p == i).All(b => b))
        {
            context.Step("cancelled with the Transpose before it", m.Second);
            Patterns.Bypass(m.Second, x);
        }
        else
        {
            context.Step("merged with the Transpose before it", m.Second);
            m.Second.SetAttribute(Onnx.IR.Attribute.FromInts("perm", m.Perm));
            m.Second.SetInput(0, x);
        }
        Patterns.RemoveIfUnused(m.First);
    }

    private static long[]? Reverse(int? rank) => rank is { } r ? Enumerable.Range(0, r).Reverse().Select(i => (long)i).ToArray() : null;
}
