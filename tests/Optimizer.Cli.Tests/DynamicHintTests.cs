using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.IR;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>A static CPU budget that returns several MatMul/Gemm to float points at dynamic INT8; nothing else does.</summary>
public sealed class DynamicHintTests
{
    private static (Model Model, List<string> Names) Chain(int matmuls)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8);
        var names = new List<string>();
        for (var i = 0; i < matmuls; i++)
        {
            x = b.Op("MatMul", [x, b.RandomInitializer($"w{i}", 0.2f, 8, 8)]);
            x.Producer!.Name = $"mm{i}";
            names.Add($"mm{i}");
        }
        b.Output(x);
        return (b.Build(), names);
    }

    private static readonly QuantizeOptions Static = new() { CalibrateDir = "calib" };

    [Fact]
    public void FourMatMulsBackInFloatUnderStaticCpuQuantizationBringTheNote()
    {
        var (model, names) = Chain(5);
        var hint = QuantizationBudget.DynamicHint(Static, model, names.Take(4).ToList());
        Assert.NotNull(hint);
        Assert.StartsWith("note: 4 MatMul/Gemm are back in float", hint);
        Assert.Contains("--activations dynamic --smooth-quant auto", hint);
    }

    [Fact]
    public void FewerMatMulsDynamicQuantizationOrTensorRtBringNone()
    {
        var (model, names) = Chain(5);
        Assert.Null(QuantizationBudget.DynamicHint(Static, model, names.Take(3).ToList()));
        Assert.Null(QuantizationBudget.DynamicHint(new QuantizeOptions(), model, names));
        Assert.Null(QuantizationBudget.DynamicHint(Static with { Target = Passes.Quantization.QuantizationTarget.TensorRt }, model, names));
    }
}
