namespace Optimizer.Cli.Commands;

/// <summary>The help of <c>--weight-rounding</c>, with the measurements behind its default.</summary>
internal static class WeightRoundingHelp
{
    public const string Text =
        "Static INT8: how int8 weights are rounded. nearest (the default): each weight to its nearest step. gptq: GPTQ "
        + "(Frantar et al. 2022) chooses each Conv/Gemm/MatMul's int8 weights by the layer's output error on the calibration "
        + "data (at most 128 samples); the scales and the graph are nearest's, so the speed is the same. Needs --calibrate. "
        + "Off by default: on held-out data it raised squeezenet1_1's output SQNR from 38.1 to 42.5 dB and bert_mini's "
        + "(static) from 46.4 to 47.8 dB, but mobilenet_v2's only by 0.3 dB and arctic_embed_xs's not at all, and it takes "
        + "a run and seconds of arithmetic more (arctic_embed_xs: 20 s).";
}
