using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>--require-int8: quantized layers that fell back to a float precision fail the gate.</summary>
public sealed class Int8GateTests
{
    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("10.9.0.34")]
    [InlineData("10.13.0.35")]
    [InlineData("11.1.0.6")]
    public async Task A_conv_with_unquantized_weights_falls_back_and_fails_the_gate(string version)
    {
        using var h = new BuildHarness(version, "qdq-activation-only");
        var result = await h.BuildAsync();

        var conv = Assert.Single(h.Facts.QuantizedNodes);
        Assert.Equal([conv], result.Layers!.FellBack);
        var message = Int8Gate.Check(result, h.Facts.IsQdq);
        Assert.NotNull(message);
        Assert.Contains(conv, message);
    }

    [Theory]
    [InlineData("10.9.0.34")]
    [InlineData("11.1.0.6")]
    public async Task An_unnamed_quantized_node_is_found_by_the_name_TensorRT_gives_its_layer(string version)
    {
        using var h = new BuildHarness(version, "qdq-activation-only-unnamed");
        var result = await h.BuildAsync();

        var conv = Assert.Single(h.Facts.QuantizedNodes);
        Assert.StartsWith("node_of_", conv);
        Assert.Empty(result.Layers!.NotFound);
        Assert.Equal([conv], result.Layers.FellBack);
        Assert.Contains(conv, Int8Gate.Check(result, h.Facts.IsQdq));
    }

    [Fact]
    public async Task A_model_without_qdq_cannot_pass_the_gate()
    {
        using var h = new BuildHarness("10.9.0.34", "fp32");
        var result = await h.BuildAsync();
        Assert.Contains("no Q/DQ nodes", Int8Gate.Check(result, h.Facts.IsQdq));
    }
}
