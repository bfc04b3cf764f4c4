using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>The built optimize.dll, for tests that need the tool in a process of its own (signals, kills, environment).</summary>
internal static class CliProcess
{
    public static string Dll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(TestPaths.RepoRoot, "src", "Optimizer.Cli", "bin", configuration, "net10.0", "optimize.dll");
        return File.Exists(dll) ? dll : Path.Combine(AppContext.BaseDirectory, "optimize.dll");
    }
}
