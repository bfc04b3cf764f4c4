namespace FakeTrtexec;

/// <summary>The options dump and the device information printed before anything is built.</summary>
internal static class SystemReport
{
    public static void PrintOptions(FakeOptions o, Log log)
    {
        log.Info("=== Model Options ===");
        log.Info($"Format: {(o.Onnx is null ? "*" : "ONNX")}");
        log.Info($"Model: {o.Onnx}");
        log.Info("=== Build Options ===");
        var precision = o.StronglyTyped ? "FP32 (Strongly Typed)"
            : "FP32" + (o.Fp16 || o.Best ? "+FP16" : "") + (o.Int8 || o.Best ? "+INT8" : "");
        log.Info($"Precision: {precision}");
        if (!o.Version.StronglyTypedByDefault)
            log.Info($"Calibration: {(o.Int8 || o.Best ? o.Get("--calib") ?? "Dynamic" : "")}");
        log.Info($"timingCacheMode: {(o.Has("--noBuilderCache") ? "disable" : o.Has("--timingCacheFile") ? "global" : "local")}");
        log.Info($"timingCacheFile: {o.Get("--timingCacheFile")}");
        log.Info($"Optimization Level: {o.Int("--builderOptimizationLevel", -1)}");
        log.Info($"Save engine: {o.SaveEngine}");
        log.Info($"Load engine: {o.LoadEngine}");
        log.Info("=== System Options ===");
        log.Info($"Device: {o.Device}");
        log.Info("=== Inference Options ===");
        log.Info($"Iterations: {o.Iterations}");
        log.Info($"Duration: {o.DurationSeconds}s (+ {o.WarmUpMs}ms warm up)");
        log.Info($"Data transfers: {(o.DataTransfers ? "Enabled" : "Disabled")}");
        log.Info("=== Reporting Options ===");
        log.Info($"Verbose: {(o.Has("--verbose") ? "Enabled" : "Disabled")}");
        log.Info($"Averages: {o.AvgRuns} inferences");
        log.Info($"Percentiles: {string.Join(',', o.Percentiles)}");
        log.Info($"Export timing to JSON file: {o.Get("--exportTimes")}");
        log.Info($"Export layer info to JSON file: {o.Get("--exportLayerInfo")}");
        log.Blank();
    }

    /// <summary>setCudaDevice: fails (exit 1, no FAILED line) without a GPU or for a bad device id.</summary>
    public static bool SelectDevice(FakeSettings settings, FakeOptions o, Log log)
    {
        if (settings.Devices == 0 || settings.Fault == "no-gpu")
        {
            log.Error("Cannot find any available devices (GPUs)!");
            return false;
        }
        if (o.Device < 0 || o.Device >= settings.Devices)
        {
            log.Error($"Cannot find device ID {o.Device}!");
            return false;
        }
        var uuid = $"GPU-{StableHash.Of(settings.Gpu + o.Device):x16}";
        log.Info("=== Device Information ===");
        if (settings.Version.Major >= 10)
        {
            log.Info("Available Devices: ");
            for (var i = 0; i < settings.Devices; i++) log.Info($"  Device {i}: \"{settings.Gpu}\" UUID: GPU-{StableHash.Of(settings.Gpu + i):x16}");
        }
        log.Info($"Selected Device: {settings.Gpu}");
        if (settings.Version.Major >= 10)
        {
            log.Info($"Selected Device ID: {o.Device}");
            log.Info($"Selected Device UUID: {uuid}");
        }
        log.Info($"Compute Capability: {settings.ComputeCapability}");
        log.Info("SMs: 46");
        log.Info("Device Global Memory: 7971 MiB");
        log.Info("Shared Memory per SM: 100 KiB");
        log.Info("Memory Bus Width: 256 bits (ECC disabled)");
        log.Info("Application Compute Clock Rate: 1.725 GHz");
        log.Info("Application Memory Clock Rate: 7.001 GHz");
        log.Blank();
        log.Info($"TensorRT version: {settings.Version.Dotted}");
        return true;
    }
}
