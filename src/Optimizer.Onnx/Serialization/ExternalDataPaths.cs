using Optimizer.Onnx.Errors;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// The one check of every file path a model names (its external-data locations), whether the model is read into the
/// IR or handed to ONNX Runtime: a location resolves against the model's folder, and any that could read outside it
/// or confuse the file system is refused: control characters (NUL, newlines), an absolute path, "..", or a path
/// that leads out through a symbolic link.
/// </summary>
public static class ExternalDataPaths
{
    public static string Resolve(string baseDirectory, string location, string tensorName)
    {
        tensorName = MessageText.Printable(tensorName);
        if (location.Length == 0)
            throw new InvalidInputException($"tensor '{tensorName}' has external data with an empty location");
        if (location.Any(char.IsControl))
            throw new InvalidInputException($"tensor '{tensorName}' refers to external data at '{MessageText.Printable(location)}', which holds a control character; locations must be plain relative file paths");
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

    /// <summary>
    /// Checks every external-data location that the model file at <paramref name="modelPath"/> names, without
    /// loading its tensors: for models that go to ONNX Runtime, which would otherwise follow the paths on its own.
    /// Refuses an empty input name where ONNX allows none (ONNX Runtime would crash on it), and says whether the
    /// model has external data and nodes whose inputs end in empty names.
    /// </summary>
    public static ModelFileFacts CheckModelFile(string modelPath)
    {
        var full = Path.GetFullPath(modelPath);
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var scan = ExternalDataScanner.Scan(stream);
            foreach (var (tensor, location) in scan.External)
                Resolve(Path.GetDirectoryName(full)!, location, tensor);
            if (scan.InvalidEmptyInput is { } invalid) throw new InvalidInputException(invalid);
            return new ModelFileFacts(scan.External.Count > 0, scan.TrailingEmptyInputs);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{modelPath}: {e.Message}", e);
        }
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

/// <summary>What <see cref="ExternalDataPaths.CheckModelFile"/> learnt about a model file on its way through.</summary>
/// <param name="HasExternalData">Some tensor is stored in an external file.</param>
/// <param name="TrailingEmptyInputs">Some node's inputs end in empty names (absent optional inputs given as "").</param>
public sealed record ModelFileFacts(bool HasExternalData, bool TrailingEmptyInputs);
