namespace Optimizer.Cli.Commands;

/// <summary>The help of <c>--bias-correction</c>, with the measurements behind its default.</summary>
internal static class BiasCorrectionHelp
{
    public const string Text =
        "Static INT8: measure on the calibration data the mean error quantization adds to each output channel of the int8 "
        + "Conv/Gemm nodes and subtract it from their biases (empirical bias correction, Nagel et al. 2019). Needs --calibrate.";
}
