using Microsoft.ML.OnnxRuntime;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// <c>--provider auto</c>: the best execution provider that loads here, TensorRT, then CUDA, then the CPU, with a line
/// saying which was taken and why the better ones were not.
/// </summary>
public static class ProviderChoice
{
    public static (ExecutionProvider Provider, string Note) Auto(int deviceId = 0)
    {
        var reasons = new List<string>();
        foreach (var provider in new[] { ExecutionProvider.TensorRt, ExecutionProvider.Cuda })
        {
            if (WhyNot(provider, deviceId) is not { } why) return (provider, $"--provider auto: {Name(provider)}");
            reasons.Add($"{Name(provider)}: {why}");
        }
        return (ExecutionProvider.Cpu, $"--provider auto: cpu ({string.Join("; ", reasons)})");
    }

    /// <summary>Why <paramref name="provider"/> cannot be used here, or null when it loads.</summary>
    public static string? WhyNot(ExecutionProvider provider, int deviceId = 0)
    {
        var ortName = provider == ExecutionProvider.Cuda ? "CUDAExecutionProvider" : "TensorrtExecutionProvider";
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(ortName)) return $"not in the {BuildFlavour.Name} flavour's ONNX Runtime package";
        OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        using var options = new SessionOptions();
        try
        {
            if (provider == ExecutionProvider.Cuda) options.AppendExecutionProvider_CUDA(deviceId);
            else options.AppendExecutionProvider_Tensorrt(deviceId);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            var line = SessionFactory.ProviderLoadFailure(provider, OrtMessages.Clean(e.Message));
            var at = line.IndexOf("cannot load on this machine: ", StringComparison.Ordinal);
            return at < 0 ? line : "cannot load: " + line[(at + "cannot load on this machine: ".Length)..].Split(" (the GPU package")[0];
        }
    }

    private static string Name(ExecutionProvider provider) => provider.ToString().ToLowerInvariant();
}
