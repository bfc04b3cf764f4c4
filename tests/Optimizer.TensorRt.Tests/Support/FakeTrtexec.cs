using System.Reflection;

namespace Optimizer.TensorRt.Tests.Support;

/// <summary>
/// The test double tools/fake-trtexec, built with this project. Each test gets its own folder with a script named
/// <c>trtexec</c> that sets the double's settings (FAKE_TRTEXEC_*) and runs it, so tests stay independent when they run
/// in parallel and the builder sees an executable called trtexec, as on a real machine.
/// </summary>
public static class FakeTrtexec
{
    public static readonly string[] Versions = ["8.6.1.6", "10.9.0.34", "10.13.0.35", "11.1.0.6"];

    public static string Executable { get; } = Locate();

    public static string Wrapper(string folder, string version, string? fault = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "trtexec");
        var lines = new List<string> { "#!/bin/sh", $"export FAKE_TRTEXEC_VERSION='{version}'" };
        if (fault is not null) lines.Add($"export FAKE_TRTEXEC_FAULT='{fault}'");
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) lines.Add($"export {key}='{value}'");
        lines.Add($"exec '{Executable}' \"$@\"");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string Locate()
    {
        var configuration = typeof(FakeTrtexec).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(TestKit.TestPaths.RepoRoot, "tools", "fake-trtexec", "bin", configuration, "net10.0", "fake-trtexec");
        return File.Exists(path) ? path : throw new FileNotFoundException($"fake-trtexec is not built at {path}");
    }
}
