using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Tests.Inference;

public class SymDimTests
{
    private static readonly SymDim Batch = SymDim.Symbol("batch");
    private static readonly SymDim Seq = SymDim.Symbol("seq");
    private static readonly SymDim H = SymDim.Symbol("H");

    private static SymDim K(long v) => SymDim.Const(v);

    [Fact]
    public void Canonical_text_puts_atoms_sorted_then_the_coefficient_then_the_constant()
    {
        Assert.Equal("seq*4", (Seq * K(4))!.ToString());
        Assert.Equal("batch*seq", (Seq * Batch)!.ToString());
        Assert.Equal("batch+seq+1", (K(1) + Seq + Batch)!.ToString());
        Assert.Equal("seq*2-1", (Seq + Seq - K(1))!.ToString());
        Assert.Equal("-seq+4", (K(4) - Seq)!.ToString());
    }

    [Fact]
    public void Equal_expressions_compare_equal_whatever_order_they_were_built_in()
    {
        var a = (Batch * Seq * K(4) + K(2))!;
        var b = (K(2) + K(2) * Seq * Batch * K(2))!;
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(K(0), Seq - Seq);
        Assert.True((Seq - Seq)!.IsConstant);
    }

    [Fact]
    public void Floor_division_moves_multiples_out_and_merges_nested_divisions()
    {
        // Conv k3 s2 p1: (H + 2 - 3) // 2 + 1
        var once = ((H - K(1))!.FloorDiv(2) + K(1))!;
        Assert.Equal("(H+1)//2", once.ToString());
        var twice = ((once - K(1))!.FloorDiv(2) + K(1))!;
        Assert.Equal("(H+3)//4", twice.ToString());
        Assert.Equal(Seq, (Seq * K(4))!.FloorDiv(4));
        Assert.Equal("H//2", H.FloorDiv(2)!.ToString());
        Assert.Equal("(H+1)//2", H.CeilDiv(2)!.ToString());
        Assert.Equal(K(-2), K(-3).FloorDiv(2));
    }

    [Fact]
    public void Floor_division_agrees_with_integer_arithmetic()
    {
        var exprs = new[] { (H - K(1))!, (H * K(3) + K(5))!, (H.FloorDiv(3)! + K(2))!, (H * K(6) - K(7))! };
        foreach (var e in exprs)
            foreach (var k in new long[] { 2, 3, 4, 6 })
                for (long h = 0; h < 30; h++)
                {
                    var symbols = new Dictionary<string, long> { ["H"] = h };
                    var expected = (long)Math.Floor((double)e.Evaluate(symbols)!.Value / k);
                    Assert.Equal(expected, e.FloorDiv(k)!.Evaluate(symbols));
                }
    }

    [Fact]
    public void Exact_division_by_a_product_of_symbols_and_refusal_when_it_does_not_divide()
    {
        Assert.Equal(Seq, SymDim.ExactDiv(Batch * Seq * K(256), Batch * K(256)));
        Assert.Equal(K(4), SymDim.ExactDiv(Seq * K(8), Seq * K(2)));
        Assert.Null(SymDim.ExactDiv(Seq, Batch));
        Assert.Null(SymDim.ExactDiv(Seq * K(3), K(2)));
        Assert.Null(SymDim.ExactDiv(Seq + K(1), Seq));
    }

    [Fact]
    public void Dims_written_to_a_model_are_static_named_or_unknown_for_opaque_ones()
    {
        Assert.Equal(Dim.Of(7), K(7).ToDim());
        Assert.Equal(Dim.Symbol("seq*4"), (Seq * K(4))!.ToDim());
        var opaque = SymDim.Opaque("x.d0");
        Assert.True(opaque.IsOpaque);
        Assert.Equal(Dim.Unknown, (opaque * K(2))!.ToDim());
        Assert.Equal(opaque, SymDim.Opaque("x.d0"));
    }

    [Fact]
    public void Names_that_are_not_identifiers_are_parenthesized_inside_expressions()
    {
        var odd = SymDim.Symbol("batch-size");
        Assert.Equal("batch-size", odd.ToString());
        Assert.Equal("(batch-size)*2", (odd * K(2))!.ToString());
        Assert.Equal("p2o.DynamicDimension.0*2", (SymDim.Symbol("p2o.DynamicDimension.0") * K(2))!.ToString());
    }

    [Fact]
    public void Overflow_gives_unknown_instead_of_a_wrong_value()
    {
        Assert.Null(K(long.MaxValue) * K(2));
        Assert.Null(Seq * K(long.MaxValue) + Seq * K(long.MaxValue));
    }
}
