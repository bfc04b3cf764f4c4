using System.Reflection;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// Which ONNX Runtime package this build of the tool links, chosen at build time (<c>-p:OnnxRuntimeFlavour=gpu</c>):
/// "cpu" (Microsoft.ML.OnnxRuntime) or "gpu" (Microsoft.ML.OnnxRuntime.Gpu.Linux, with the CUDA and TensorRT providers).
/// </summary>
public static class BuildFlavour
{
    public static string Name { get; } =
        typeof(BuildFlavour).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "OnnxRuntimeFlavour")?.Value ?? "cpu";

    public static bool IsGpu => Name == "gpu";

    /// <summary>How to get the flavour that has the GPU providers, for messages.</summary>
    public const string GpuBuildHint = "build the GPU flavour: dotnet publish src/Optimizer.Cli -c Release -p:OnnxRuntimeFlavour=gpu (or dotnet cake --target=PublishGpu)";
}
