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
        if (!SessionFactory.InPackage(provider)) return $"not in the {BuildFlavour.Name} flavour's ONNX Runtime package";
        using var options = new SessionOptions();
        return SessionFactory.AppendProvider(options, SessionSettings.ForSpeed with { Provider = provider, DeviceId = deviceId }) is { } failure ? "cannot load: " + SessionFactory.LoadReason(provider, failure) : null;
    }

    private static string Name(ExecutionProvider provider) => provider.ToString().ToLowerInvariant();
}
