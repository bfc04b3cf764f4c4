using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class MatMulAddIntoGemmTests
{
    [Fact]
    public void TurnsRank2MatMulPlusBiasIntoGemm()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, 5);
        var y = b.Op("Add", [b.RandomInitializer("bias", 1f, 3), b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 5, 3)])]);
        b.Output(b.Op("Relu", [y]));
        var run = PassHarness.Run(b.Model, new MatMulAddIntoGemm());
        Assert.Equal("Gemm,Relu", run.Ops);
        run.AssertSameOutputs(1e-6);
    }

    [Fact]
    public void DeclinesRank3Operands()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 4, 5);
        b.Output(b.Op("Add", [b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 5, 3)]), b.RandomInitializer("bias", 1f, 3)]));
        var run = PassHarness.Run(b.Model, new MatMulAddIntoGemm());
        Assert.Equal("MatMul,Add", run.Ops);
        run.AssertDeclined("the MatMul operands have ranks 3 and 2; Gemm is 2-D only");
    }
}
