using System.CommandLine;
using System.CommandLine.Invocation;
using Optimizer.Cli.Output;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli;

/// <summary><c>optimize --version</c>: the tool's version, the ONNX Runtime it runs and which flavour (cpu or gpu) was built.</summary>
internal static class VersionText
{
    /// <remarks>
    /// The ONNX Runtime version is the managed package's, read without starting the native runtime, so --version answers
    /// even where ONNX Runtime cannot start (the linux-arm64 build under emulation crashes creating its environment).
    /// </remarks>
    public static string Line =>
        $"{Manifest.ToolVersion} (onnxruntime {OnnxRuntimeVersion}, {BuildFlavour.Name} flavour)";

    private static string OnnxRuntimeVersion =>
        typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static void Install(RootCommand root)
    {
        foreach (var version in root.Options.OfType<VersionOption>()) version.Action = new Print();
    }

    private sealed class Print : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            parse.InvocationConfiguration.Output.WriteLine(Line);
            return 0;
        }
    }
}
