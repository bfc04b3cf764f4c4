using Optimizer.Onnx.Errors;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Resolves an external data location against the model's folder, refusing any that could read outside it: an
/// absolute path, a path with "..", or one that leads out through a symbolic link.
/// </summary>
public static class ExternalDataPaths
{
    public static string Resolve(string baseDirectory, string location, string tensorName)
    {
        if (location.Length == 0)
            throw new InvalidInputException($"tensor '{tensorName}' has external data with an empty location");
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\') || (location.Length > 1 && location[1] == ':'))
            throw new InvalidInputException($"tensor '{tensorName}' refers to external data at the absolute path '{location}'; locations must be relative to the model's folder");
        if (location.Split('/', '\\').Any(part => part == ".."))
            throw new InvalidInputException($"tensor '{tensorName}' refers to external data '{location}', which contains '..'; locations must stay inside the model's folder");
        var root = RealPath(Path.GetFullPath(baseDirectory));
        var full = RealPath(Path.GetFullPath(Path.Combine(baseDirectory, location)));
        if (!full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidInputException($"tensor '{tensorName}' refers to external data '{location}', which leads out of the model's folder through a link");
        if (!File.Exists(full))
            throw new InvalidInputException($"tensor '{tensorName}' refers to external data file '{location}', which does not exist next to the model");
        return full;
    }

    /// <summary>The path with every symbolic link along it resolved (components that do not exist are kept as they are).</summary>
    public static string RealPath(string fullPath)
    {
        var parts = fullPath.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(fullPath) ?? "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            var hops = 0;
            while (info.Exists && info.LinkTarget is not null)
            {
                if (++hops > 40) throw new InvalidInputException($"too many levels of symbolic links at '{next}'");
                var target = Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(next)!);
                next = RealPath(target);
                info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            }
            current = next;
        }
        return current;
    }
}
