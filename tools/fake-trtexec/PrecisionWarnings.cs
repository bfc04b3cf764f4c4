namespace FakeTrtexec;

/// <summary>The warnings a build prints about its precision settings (TRTEXEC.md §1, §3).</summary>
internal static class PrecisionWarnings
{
    public static void Print(OnnxNetwork network, FakeOptions o, Log log)
    {
        var weakFlags = o.Fp16 || o.Int8 || o.Best || o.Bf16 || o.Fp8;
        if (o.StronglyTyped)
        {
            if (o.Fp16) log.Warning("Invalid usage, setting fp16 mode is not allowed if graph is strongly typed. Disabling BuilderFlag::kFP16.");
            if (o.Int8) log.Warning("Invalid usage, setting int8 mode is not allowed if graph is strongly typed. Disabling BuilderFlag::kINT8.");
            if (o.Bf16) log.Warning("Invalid usage, setting bf16 mode is not allowed if graph is strongly typed. Disabling BuilderFlag::kBF16.");
        }
        else if (weakFlags && o.Version.AtLeast(10, 14))
        {
            log.Warning("Weakly-typed networks have been deprecated. Please use strongly-typed networks (--stronglyTyped) instead.");
        }
        if (o.Has("--workspace")) log.Warning("--workspace flag has been deprecated by --memPoolSize flag.");
        if (!o.StronglyTyped && (o.Int8 || o.Best))
        {
            if (network.HasQdq && o.Has("--calib"))
                log.TrtWarning(o.Version.Major == 8
                    ? "Calibrator won't be used in explicit precision mode. Use quantization aware training to generate network with Quantize/Dequantize nodes."
                    : "Calibrator won't be used in explicit quantization mode. Please insert Quantize/Dequantize layers to indicate which tensors to quantize/dequantize.");
            else if (!network.HasQdq) CalibrationWarnings(o, log);
        }
    }

    /// <summary>Implicit INT8: the calibration cache is used when its header matches this release, else ignored.</summary>
    private static void CalibrationWarnings(FakeOptions o, Log log)
    {
        var calib = o.Get("--calib");
        if (calib is null)
        {
            log.Warning("[TRT] No calibrator provided: using dummy dynamic ranges (±2 for layer inputs, ±4 for outputs); only the speed result is meaningful.");
            return;
        }
        if (!File.Exists(calib))
        {
            log.Info("[TRT] Starting Calibration with random data.");
            return;
        }
        var header = File.ReadLines(calib).FirstOrDefault() ?? "";
        if (header != $"TRT-{o.Version.BannerNumber}-EntropyCalibration2")
            log.TrtWarning("Calibration table does not match calibrator algorithm type or TensorRT version; it is ignored.");
        else
            log.TrtInfo($"Reading Calibration Cache for calibrator: EntropyCalibration2 from {calib}");
    }
}
