namespace Optimizer.Cli.Commands;

/// <summary>The help of <c>--cross-layer-equalization</c>, with the measurements behind its default.</summary>
internal static class EqualizationHelp
{
    public const string Text =
        "Static INT8: cross-layer equalization (Nagel et al. 2019) of Conv→Conv and Conv→Relu→Conv pairs, which moves each channel's range "
        + "between the two weights (exact in FP32). auto (the default): when the model has such pairs, quantize it with and without, run both "
        + "beside FP32 on 32 calibration samples spread over the folder (within a budget: its --validate data and first gate) and keep the better, because "
        + "with per-channel weights only the activation between the two Convs changes and that goes either way (measured: the PP-OCRv4 "
        + "detector 12.2 -> 16.3 dB with it; silero VAD's 16 kHz export 26.4 -> 25.6 dB). on/off: always/never. With --calibration-table the "
        + "table's own choice is followed.";
}
