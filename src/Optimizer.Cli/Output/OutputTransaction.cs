using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Output;

/// <summary>
/// The output folder of one run, as a transaction. <see cref="Open"/> takes OUT for this run (an advisory lock on
/// OUT/.optimize.lock; another run is refused, or waited for) and gives a staging folder, OUT/.staging-PID-GUID/,
/// where every file of the run is written. <see cref="Publish"/> moves the staged files into OUT, the manifest last,
/// so a manifest always describes the files beside it; until the last rename a failure or a cancellation puts back
/// what was there, and <see cref="Dispose"/> without a publish deletes the staging folder, so OUT is as it was (a
/// folder the run created is removed again). What a killed run left (its staging folder, temporary files named
/// with its PID) is removed by the next run that takes the lock.
/// </summary>
/// <remarks>
/// OUT/.optimize.lock stays in OUT once created: deleting a lock file that another run may have open would let two
/// runs lock two different files. (It is only removed with a folder the run created.) The lock is flock(2) on Unix
/// (what <see cref="FileShare.None"/> takes), released by the kernel when the process dies. A run killed while it
/// publishes can leave OUT with part of its files; the next run removes its staging folder.
/// Paths to the staging folder in the text the run writes (report.json, report.md, manifest.json, and the lines it
/// prints) are given as the paths in OUT, where the files end up.
/// </remarks>
public sealed partial class OutputTransaction : IDisposable
{
    public const string LockFileName = ".optimize.lock";
    private const string StagingPrefix = ".staging-";
    private const string ReplacedFolder = ".replaced";
    private const string OutsideFolder = ".outside";

    private readonly string _outDir;
    private readonly bool _wait;
    private readonly TextWriter _stderr;
    private readonly List<string> _removeOnPublish = [];
    private readonly List<(string Staged, string Destination)> _outside = [];
    private NewFolders? _created;
    private FileStream? _lock;
    private string? _staging;
    private bool _published;

    /// <param name="wait">When another run holds OUT: wait for it (true) or refuse (false, exit 2).</param>
    /// <param name="stderr">Where "waiting for ..." is said.</param>
    public OutputTransaction(string outDir, bool wait, TextWriter stderr)
    {
        _outDir = Path.GetFullPath(outDir);
        _wait = wait;
        _stderr = stderr;
    }

    public string OutDir => _outDir;

    /// <summary>The staging folder (after <see cref="Open"/>).</summary>
    public string Staging => _staging ?? throw new InvalidOperationException("the output transaction is not open");

    public bool IsOpen => _staging is not null;

    /// <summary>
    /// Takes OUT for this run: creates it if needed, creates the staging folder, takes the lock (refusing or waiting
    /// while another run holds it), removes what killed runs left, and copies OUT/manifest.json into the staging folder
    /// (a manifest is extended, not replaced). Returns the staging folder. Call it right before the first write.
    /// </summary>
    public string Open(CancellationToken cancel)
    {
        if (_staging is not null) return _staging;
        if (File.Exists(_outDir)) throw new InvalidInputException($"output '{_outDir}' is a file; give a folder");
        _created = OutputLocation.Track(_outDir);
        // The staging folder comes first: its name says which process holds (or waits for) OUT, and a run that finds
        // the lock taken names the others by it.
        _staging = Path.Combine(_outDir, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_staging);
        _lock = TakeLock(cancel);
        RemoveLeftovers();
        var manifest = Path.Combine(_outDir, Manifest.FileName);
        if (File.Exists(manifest)) File.Copy(manifest, Path.Combine(_staging, Manifest.FileName));
        return _staging;
    }

    /// <summary>A file or folder of OUT that <see cref="Publish"/> removes (when the run did not stage a new one).</summary>
    public void RemoveOnPublish(string name) => _removeOnPublish.Add(name);

    /// <summary>
    /// A file the run writes outside OUT (a --junit file elsewhere, say): the run writes the returned path in the staging
    /// folder, and <see cref="Publish"/> puts it at <paramref name="destination"/> (an atomic replace in its folder) just
    /// before the manifest, so a run that fails or is interrupted leaves it as it was too.
    /// </summary>
    public string StageOutside(string destination)
    {
        var folder = Path.Combine(Staging, OutsideFolder);
        Directory.CreateDirectory(folder);
        var staged = Path.Combine(folder, $"{_outside.Count}-{Path.GetFileName(destination)}");
        _outside.Add((staged, Path.GetFullPath(destination)));
        return staged;
    }

    /// <summary>The path in OUT of a path in the staging folder (other paths unchanged).</summary>
    public string Published(string path) => _staging is null ? path : ReplaceStaging(path, _staging, _outDir);

    /// <summary>
    /// Moves the staged files into OUT (each an atomic rename; manifest.json last). Cancellation is honoured until the
    /// last rename: before it, OUT is put back as it was and <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    public void Publish(CancellationToken cancel)
    {
        var staging = Staging;
        cancel.ThrowIfCancellationRequested();
        RewriteStagingPaths(staging);
        HashEveryOutput(staging);
        var replaced = Path.Combine(staging, ReplacedFolder);
        Directory.CreateDirectory(replaced);
        var names = Directory.EnumerateFileSystemEntries(staging, "*", Hidden).Select(Path.GetFileName).OfType<string>()
            .Where(n => n != ReplacedFolder && n != OutsideFolder && n != Manifest.FileName).Order(StringComparer.Ordinal)
            .Concat(_removeOnPublish.Where(n => !Exists(Path.Combine(staging, n))))
            .Concat(Exists(Path.Combine(staging, Manifest.FileName)) ? [Manifest.FileName] : [])
            .Distinct().ToList();
        var done = new Stack<(string Name, bool HadOld, bool Staged)>();
        try
        {
            foreach (var name in names)
            {
                cancel.ThrowIfCancellationRequested();
                if (name == Manifest.FileName) PublishOutside(cancel);
                var (target, source) = (Path.Combine(_outDir, name), Path.Combine(staging, name));
                var (hadOld, staged) = (Exists(target), Exists(source));
                if (!hadOld && !staged) continue;
                if (hadOld) Move(target, Path.Combine(replaced, name));
                done.Push((name, hadOld, false));
                if (!staged) continue;
                Move(source, target);
                done.Pop();
                done.Push((name, hadOld, true));
            }
            PublishOutside(cancel); // when there is no manifest to publish them before
        }
        catch
        {
            RollBack(done, staging, replaced);
            throw;
        }
        _published = true;
    }

    /// <summary>
    /// Every file the run staged is listed in the manifest with its sha256 (reports and plots too, under their path in
    /// OUT), once their text is final; files a step already recorded under a role of its own keep that entry.
    /// </summary>
    private static void HashEveryOutput(string staging)
    {
        if (!File.Exists(Path.Combine(staging, Manifest.FileName))) return;
        var manifest = Manifest.LoadOrCreate(staging);
        var listed = manifest.ListedPaths();
        var files = Directory.EnumerateFiles(staging, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .Select(f => Path.GetRelativePath(staging, f))
            .Where(r => r != Manifest.FileName && !r.StartsWith(ReplacedFolder, StringComparison.Ordinal) && !r.StartsWith(OutsideFolder, StringComparison.Ordinal))
            .Where(r => !listed.Contains(r)).Order(StringComparer.Ordinal).ToList();
        foreach (var relative in files) manifest.AddFile(relative.Replace(Path.DirectorySeparatorChar, '/'), Path.Combine(staging, relative));
        if (files.Count > 0) manifest.Save();
    }

    /// <summary>The files staged for places outside OUT, each copied beside its destination and renamed over it.</summary>
    private void PublishOutside(CancellationToken cancel)
    {
        foreach (var (staged, destination) in _outside.Where(o => File.Exists(o.Staged)))
        {
            cancel.ThrowIfCancellationRequested();
            var temp = Path.Combine(Path.GetDirectoryName(destination)!, $".{Path.GetFileName(destination)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            try
            {
                File.Copy(staged, temp);
                File.Move(temp, destination, overwrite: true);
            }
            finally
            {
                TryDeleteFile(temp);
            }
        }
        _outside.Clear();
    }

    /// <summary>Without a publish: deletes the staging folder (and a folder the run created); always releases the lock.</summary>
    public void Dispose()
    {
        if (_staging is not null) TryDeleteFolder(_staging);
        if (_lock is not null && !_published && _created is not null && OnlyTheLockIsLeft())
        {
            // OUT was created by this run and holds nothing else: take it away again, lock and all. (A run waiting
            // for OUT has its staging folder in it, so this never removes a lock file another run has open.)
            TryDeleteFile(Path.Combine(_outDir, LockFileName));
        }
        _lock?.Dispose();
        _lock = null;
        if (!_published) _created?.RemoveIfEmpty();
    }

    private FileStream TakeLock(CancellationToken cancel)
    {
        var path = Path.Combine(_outDir, LockFileName);
        var waiting = false;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // The lock is on the file that was opened: if the run holding it removed it meanwhile, take the new one.
                if (File.Exists(path)) return stream;
                stream.Dispose();
            }
            catch (IOException e) when (IsLocked(e))
            {
                var holder = OtherRuns();
                if (!_wait)
                    throw new InvalidInputException($"output folder '{_outDir}' is in use by another optimize run ({holder}); " +
                        "wait for it to finish, pass --wait, or choose another -o");
                if (!waiting) _stderr.WriteLine($"waiting for another optimize run ({holder}) to finish writing '{_outDir}'");
                waiting = true;
                cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    // On Unix .NET reports a held flock as an IOException whose HResult is the errno, EWOULDBLOCK (11 on Linux, 35 on
    // macOS); on Windows as a sharing or lock violation.
    private static bool IsLocked(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    private string OtherRuns()
    {
        var pids = StagingFolders().Where(s => s.Path != _staging && s.Pid is { } p && IsAlive(p)).Select(s => s.Pid!.Value)
            .Distinct().Order().ToList();
        return pids.Count switch
        {
            0 => "another process",
            1 => $"process {pids[0]}",
            _ => $"processes {string.Join(", ", pids)}",
        };
    }

    /// <summary>Staging folders and temporary files of processes that no longer run (a run killed mid-way).</summary>
    private void RemoveLeftovers()
    {
        foreach (var (path, pid) in StagingFolders())
            if (path != _staging && pid is { } p && !IsAlive(p)) TryDeleteFolder(path);
        // AtomicFile's temporary files (.NAME.PID.GUID.tmp) outside a staging folder: from runs before staging existed.
        foreach (var file in TempFiles(_outDir))
            if (TempFilePid().Match(Path.GetFileName(file)) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var pid) && !IsAlive(pid))
                TryDeleteFile(file);
    }

    private static IEnumerable<string> TempFiles(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, ".*.tmp", Hidden)) yield return file;
        foreach (var sub in Directory.EnumerateDirectories(dir, "*", Hidden))
            if (!Path.GetFileName(sub).StartsWith(StagingPrefix, StringComparison.Ordinal))
                foreach (var file in Directory.EnumerateFiles(sub, ".*.tmp", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true }))
                    yield return file;
    }

    private IEnumerable<(string Path, int? Pid)> StagingFolders() =>
        Directory.EnumerateDirectories(_outDir, StagingPrefix + "*", Hidden)
            .Select(d => (d, StagingPid().Match(Path.GetFileName(d)) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var pid) ? pid : (int?)null));

    /// <summary>Whether process <paramref name="pid"/> still runs (this one always does): what a staging folder's name is checked by.</summary>
    internal static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private bool OnlyTheLockIsLeft()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(_outDir, "*", Hidden).Select(Path.GetFileName).SequenceEqual([LockFileName]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Report and manifest text naming the staging folder names OUT instead. Files the manifest records by sha256 (the
    /// engine's layers.json, say) are left as written.
    /// </summary>
    private void RewriteStagingPaths(string staging)
    {
        var manifest = Path.Combine(staging, Manifest.FileName);
        var hashed = new HashSet<string>(StringComparer.Ordinal);
        if (File.Exists(manifest) && JsonNode.Parse(File.ReadAllText(manifest)) is JsonObject { } root && root["files"] is JsonObject files)
            foreach (var (_, file) in files)
                if (file?["path"]?.GetValue<string>() is { } p) hashed.Add(Path.GetFullPath(p, staging));
        var texts = Directory.EnumerateFiles(staging, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal))
            .Where(f => !hashed.Contains(f) && f != manifest).Append(manifest).Where(File.Exists);
        foreach (var file in texts)
        {
            var text = File.ReadAllText(file);
            var rewritten = ReplaceStaging(text, staging, _outDir);
            if (!ReferenceEquals(text, rewritten) && text != rewritten) Onnx.IO.AtomicFile.WriteAllText(file, rewritten);
        }
    }

    internal static string ReplaceStaging(string text, string staging, string outDir)
    {
        if (!text.Contains(Path.GetFileName(staging), StringComparison.Ordinal)) return text;
        text = text.Replace(staging, outDir, StringComparison.Ordinal);
        // As a JSON string with the default encoder's escapes.
        var (escapedStaging, escapedOut) = (JsonEncodedText.Encode(staging).ToString(), JsonEncodedText.Encode(outDir).ToString());
        return escapedStaging == staging ? text : text.Replace(escapedStaging, escapedOut, StringComparison.Ordinal);
    }

    private void RollBack(Stack<(string Name, bool HadOld, bool Staged)> done, string staging, string replaced)
    {
        foreach (var (name, hadOld, staged) in done)
        {
            try
            {
                if (staged) Move(Path.Combine(_outDir, name), Path.Combine(staging, name));
                if (hadOld) Move(Path.Combine(replaced, name), Path.Combine(_outDir, name));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _stderr.WriteLine($"warning: could not put back '{Path.Combine(_outDir, name)}' ({e.Message}); the earlier file is in '{replaced}'");
                _staging = null; // keep the staging folder: it holds what could not be put back
            }
        }
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static void Move(string from, string to)
    {
        if (Directory.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to);
    }

    private static void TryDeleteFolder(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static readonly EnumerationOptions Hidden = new() { AttributesToSkip = 0 };

    [GeneratedRegex(@"^\.staging-(\d+)-[0-9a-f]{32}$")]
    private static partial Regex StagingPid();

    [GeneratedRegex(@"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempFilePid();
}
