using System.Text.RegularExpressions;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Output;

/// <summary>
/// Output locations given on the command line (-o, --report, --junit, --engine-cache), checked before any work
/// starts: a folder that is a file, lies under a file or cannot be written is a usage error naming the option, not a
/// failure after the work is done. <see cref="Track"/> and <see cref="NewFolders.RemoveIfEmpty"/> take away the
/// folders a refused run created, so it leaves nothing behind.
/// </summary>
public static partial class OutputLocation
{
    /// <summary>Refuses a folder that is a file, lies under a file, or whose nearest existing folder cannot be written.</summary>
    public static void CheckFolder(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) throw new InvalidInputException($"{option} '{path}' is a file; give a folder");
        CheckWritable(full, option, path);
    }

    /// <summary>Refuses a file path that is a folder, or whose folder cannot be created or written.</summary>
    public static void CheckFile(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InvalidInputException($"{option} '{path}' is a folder; give a file name");
        CheckWritable(Path.GetDirectoryName(full)!, option, path);
    }

    /// <summary>Remembers which folders of <paramref name="folder"/> do not exist yet.</summary>
    public static NewFolders Track(string folder) => new(Path.GetFullPath(folder));

    private static void CheckWritable(string folder, string option, string given)
    {
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new InvalidInputException($"{option} '{given}': '{existing}' is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new InvalidInputException($"{option} '{given}': no folder of it exists");
        }
        try
        {
            // A probe that disappears when closed: the only portable way to ask "may I create files here?".
            using var probe = new FileStream(Path.Combine(existing, $".optimize-probe-{Guid.NewGuid():N}"), FileMode.CreateNew,
                FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is UnauthorizedAccessException ? "permission denied" : PathSuffix().Replace(e.Message, "").TrimEnd('.', ' ');
            throw new InvalidInputException($"{option} '{given}': cannot write in '{existing}' ({reason})");
        }
    }

    // .NET's IO messages end with the probe's path (" : 'path'" or " 'path'."), which says nothing to the user.
    [GeneratedRegex(@"\s*:?\s*'[^']*'\.?$")]
    private static partial Regex PathSuffix();
}

/// <summary>The folders of a path that did not exist when it was tracked (<see cref="OutputLocation.Track"/>).</summary>
public sealed class NewFolders
{
    private readonly string _folder;
    private readonly string? _top;

    internal NewFolders(string folder)
    {
        _folder = folder;
        for (var dir = folder; dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)) _top = dir;
    }

    /// <summary>Deletes the folders created since tracking, innermost first, as long as they are empty.</summary>
    public void RemoveIfEmpty()
    {
        if (_top is null) return;
        for (var dir = _folder; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            try
            {
                if (!Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any()) return;
                Directory.Delete(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            if (dir == _top) return;
        }
    }
}
