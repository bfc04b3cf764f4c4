using Optimizer.Onnx.Errors;

namespace Optimizer.TensorRt.Locating;

/// <summary>
/// Finds the trtexec executable: an explicit path (--trtexec), else TRTEXEC in the environment, else PATH, else the
/// usual install folders. When it is nowhere, the error says where it looked and how to point at it.
/// </summary>
public static class TrtexecLocator
{
    public const string ExecutableName = "trtexec";
    public const string EnvironmentVariable = "TRTEXEC";
    public static readonly IReadOnlyList<string> InstallFolders = ["/usr/src/tensorrt/bin", "/opt/tensorrt/bin"];

    public static string Locate(string? explicitPath, Func<string, string?>? getEnvironment = null, IReadOnlyList<string>? installFolders = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var looked = new List<string>();
        var pathFolders = (getEnvironment("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            if (IsExecutable(explicitPath)) return Path.GetFullPath(explicitPath);
            // A bare name (--trtexec trtexec-10.9) is looked up on PATH, as a shell would.
            if (!explicitPath.Contains(Path.DirectorySeparatorChar) && pathFolders.Select(f => Path.Combine(f, explicitPath)).FirstOrDefault(IsExecutable) is { } onPath)
                return Path.GetFullPath(onPath);
            throw new ExternalToolException($"trtexec not found at '{explicitPath}' (given by --trtexec): no executable file there.");
        }
        if (getEnvironment(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            if (IsExecutable(fromEnv)) return Path.GetFullPath(fromEnv);
            looked.Add($"{EnvironmentVariable}={fromEnv}");
        }
        foreach (var folder in pathFolders.Concat(installFolders ?? InstallFolders))
        {
            var candidate = Path.Combine(folder, ExecutableName);
            if (IsExecutable(candidate)) return Path.GetFullPath(candidate);
        }
        looked.Add("PATH");
        looked.AddRange(installFolders ?? InstallFolders);
        throw new ExternalToolException(
            $"trtexec not found (looked in: {string.Join(", ", looked)}). Install TensorRT, or point at trtexec with --trtexec PATH or the {EnvironmentVariable} environment variable.");
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path)) return false;
        return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
