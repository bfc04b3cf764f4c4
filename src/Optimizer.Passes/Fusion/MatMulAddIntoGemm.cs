using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>MatMul of two rank-2 operands followed by Add of a constant bias becomes one Gemm.</summary>
public sealed class MatMulAddIntoGemm : RewritePass<MatMulAddIntoGemm.Match>
{
    public sealed record Match(Node MatMul, Node Add, Value Bias);

    public override string Name => "fuse-gemm";

    public override string Description => "Turns MatMul (rank-2 operands) + Add of a constant bias into Gemm.";

    public override PassKind Kind => PassKind.Fusion;

    protected override IReadOnlySet<string> AnchorOps { get; } = new HashSet<string> { "Add" };

    protected override MatchResult<Match> Check(Node add, Model model, PassContext context)
    {
        foreach (var (side, other) in new[] { (0, 1), (1, 0) })
        {
            if (Patterns.ProducerOf(add.Input(side), "MatMul", add) is not { } matmul) continue;
            if (add.Input(other) is not { } bias || Patterns.Constant(bias) is not { } c) return MatchResult<Match>.NoMatch;
            if (!Patterns.HasSingleUse(matmul.Output())) return new Fail("the MatMul output is also used elsewhere");
            if (Patterns.Rank(matmul.Input(0)) is not { } ra || Patterns.Rank(matmul.Input(1)) is not { } rb)
                return new Fail("the ranks of the MatMul operands are unknown (shapes not inferred)");
            if (ra != 2 || rb != 2) return new Fail($"the MatMul operands have ranks {ra} and {rb}; Gemm is 2-D only");
            if (!c.ElementType.IsFloatingPoint()) return new Fail("the bias is not floating point");
            var n = matmul.Input(1)!.Shape![1].Value;
            var m = matmul.Input(0)!.Shape![0].Value;
            var fits = c.Dims.ToArray() switch
            {
                [] or [1] or [1, 1] => true,
                [var d] => d == n,
                [1, var d] => d == n,
                [var r, var d] => r == m && d == n,
                _ => false,
            };
            if (!fits) return new Fail($"the bias of shape [{string.Join(",", c.Dims)}] does not broadcast to [M, N] without widening");
            return new Match(matmul, add, bias);
        }
        return MatchResult<Match>.NoMatch;
    }

    // y = MatMul(a, b); z = Add(y, c) => z = Gemm(a, b, c)
    protected override void Rewrite(Match m, PassContext context)
    {
        context.Step($"fused with {PassDiagnostics.Describe(m.Add)} into Gemm", m.MatMul);
        var gemm = Patterns.InsertBefore(m.Add, "Gemm", [m.MatMul.Input(0), m.MatMul.Input(1), m.Bias], m.Add.Output().Name + "_gemm");
        Patterns.Bypass(m.Add, gemm.Output());
        Patterns.RemoveIfUnused(m.MatMul);
    }
}
