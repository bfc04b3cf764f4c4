namespace Optimizer.Cli.Commands;

/// <summary>The help of <c>--weight-rounding</c>, with the measurements behind its default.</summary>
internal static class WeightRoundingHelp
{
    public const string Text =
        "Static INT8: how int8 weights are rounded. nearest (the default): each weight to its nearest step. gptq: GPTQ "
        + "(Frantar et al. 2022) chooses each Conv/Gemm/MatMul's int8 weights by the output error on the calibration data "
        + "(at most 128 samples), moving each weight's rounding error onto the weights not yet rounded; the scales and the "
        + "graph are those of nearest, so the speed is the same. Needs --calibrate.";
}
