using System.CommandLine;
using System.CommandLine.Invocation;
using Optimizer.Cli.Output;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli;

/// <summary><c>optimize --version</c>: the tool's version, the ONNX Runtime it runs and which flavour (cpu or gpu) was built.</summary>
internal static class VersionText
{
    public static string Line =>
        $"{Manifest.ToolVersion} (onnxruntime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()}, {BuildFlavour.Name} flavour)";

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
