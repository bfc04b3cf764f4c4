using System.Runtime.CompilerServices;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

internal static class OwnCacheFolder
{
    /// <summary>Before any test runs: TensorRT caches without a given folder go to this process's own folder, not ~/.cache.</summary>
#pragma warning disable CA2255 // a test assembly, not a library: setting the environment once at load is the point
    [ModuleInitializer]
    internal static void Initialize() => TestPaths.UseOwnCacheFolder();
#pragma warning restore CA2255
}
