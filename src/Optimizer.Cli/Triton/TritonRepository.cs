using System.Globalization;
using System.Text.RegularExpressions;
using Inference;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Triton;

/// <summary>Where one model went in a Triton repository.</summary>
public sealed record TritonEmitted(string ModelFolder, int Version, string ConfigPath, IReadOnlyList<string> Files, bool ReplacedConfig);

/// <summary>
/// Writes <c>REPO/NAME/config.pbtxt</c> and <c>REPO/NAME/VERSION/&lt;files&gt;</c>. A model folder that exists gets the next
/// integer version (never written over); its config.pbtxt is replaced by the new one, which describes the newest
/// version. Everything is staged in a hidden folder inside REPO and renamed into place at the end (the version folder,
/// then the config), so a run that fails or is killed leaves REPO as it was; staging folders of dead runs are removed.
/// </summary>
public static partial class TritonRepository
{
    public const string ConfigFileName = "config.pbtxt";
    private const string StagingPrefix = ".optimize-triton-";

    /// <summary>
    /// Refuses a model name Triton cannot serve from a folder of that name (it is also a path segment of its HTTP and
    /// gRPC endpoints): letters, digits, '_', '-' and '.', not starting with '.', at most 255 characters.
    /// </summary>
    public static void CheckName(string name, string origin)
    {
        if (!ValidName().IsMatch(name))
            throw new InvalidInputException($"{origin} '{name}' is not a Triton model name: use letters, digits, '_', '-' and '.', not starting with '.'" +
                (origin.StartsWith("--", StringComparison.Ordinal) ? "" : "; choose one with --triton-name NAME"));
    }

    /// <summary>Refuses a repository that is a file or cannot be written, and a model folder name taken by a file.</summary>
    public static void CheckRepository(string repository, string name)
    {
        OutputLocation.CheckFolder(repository, "--emit triton");
        var folder = Path.Combine(Path.GetFullPath(repository), name);
        if (File.Exists(folder)) throw new InvalidInputException($"--emit triton: '{folder}' is a file, not a model folder");
    }

    /// <summary>The version a new model goes in: one more than the largest integer folder of the model folder, or 1.</summary>
    public static int NextVersion(string modelFolder) =>
        !Directory.Exists(modelFolder) ? 1
        : Directory.EnumerateDirectories(modelFolder).Select(Path.GetFileName)
            .Select(n => long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is > 0 and < int.MaxValue ? (int)v : 0)
            .DefaultIfEmpty(0).Max() + 1;

    /// <param name="files">The files of the version folder: (the file to copy, its name there).</param>
    /// <param name="check">Checks the staged folder (the config as read back from its text) before it is put in place; throws to refuse.</param>
    public static TritonEmitted Emit(string repository, ModelConfig config, IReadOnlyList<(string Source, string Name)> files,
        Action<string, ModelConfig> check, CancellationToken cancel)
    {
        repository = Path.GetFullPath(repository);
        var created = OutputLocation.Track(repository);
        Directory.CreateDirectory(repository);
        RemoveLeftovers(repository);
        var staging = Path.Combine(repository, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var committed = false;
        try
        {
            var modelFolder = Path.Combine(repository, config.Name);
            var version = NextVersion(modelFolder);
            var stagedModel = Path.Combine(staging, config.Name);
            var stagedVersion = Path.Combine(stagedModel, version.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(stagedVersion);
            foreach (var (source, name) in files)
            {
                cancel.ThrowIfCancellationRequested();
                File.Copy(source, Path.Combine(stagedVersion, name));
            }
            var stagedConfig = Path.Combine(stagedModel, ConfigFileName);
            File.WriteAllText(stagedConfig, ProtoTextWriter.Write(config));
            check(stagedModel, ProtoTextReader.Parse<ModelConfig>(File.ReadAllText(stagedConfig)));
            cancel.ThrowIfCancellationRequested();

            var versionFolder = Path.Combine(modelFolder, version.ToString(CultureInfo.InvariantCulture));
            var configPath = Path.Combine(modelFolder, ConfigFileName);
            var written = files.Select(f => Path.Combine(versionFolder, f.Name)).ToList();
            if (!Directory.Exists(modelFolder))
            {
                MoveIntoPlace(stagedModel, modelFolder);
                committed = true;
                return new TritonEmitted(modelFolder, version, configPath, written, ReplacedConfig: false);
            }
            MoveIntoPlace(stagedVersion, versionFolder);
            try
            {
                var replaced = File.Exists(configPath);
                File.Move(stagedConfig, configPath, overwrite: true);
                committed = true;
                return new TritonEmitted(modelFolder, version, configPath, written, replaced);
            }
            catch
            {
                Directory.Move(versionFolder, stagedVersion); // the config could not be replaced: take the version out again
                throw;
            }
        }
        finally
        {
            TryDelete(staging);
            if (!committed) created.RemoveIfEmpty();
        }
    }

    /// <summary>A rename that finds its target taken means another run wrote the same folder meanwhile.</summary>
    private static void MoveIntoPlace(string staged, string target)
    {
        try
        {
            Directory.Move(staged, target);
        }
        catch (IOException) when (Directory.Exists(target) || File.Exists(target))
        {
            throw new InvalidInputException($"--emit triton: '{target}' appeared while this run wrote it (another run?); nothing was changed, run again");
        }
    }

    private static void RemoveLeftovers(string repository)
    {
        foreach (var folder in Directory.EnumerateDirectories(repository, StagingPrefix + "*", new EnumerationOptions { AttributesToSkip = 0 }))
            if (StagingPid().Match(Path.GetFileName(folder)) is { Success: true } m && int.TryParse(m.Groups[1].Value, out var pid) && !Output.OutputTransaction.IsAlive(pid))
                TryDelete(folder);
    }

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,254}$")]
    private static partial Regex ValidName();

    [GeneratedRegex(@"^\.optimize-triton-(\d+)-[0-9a-f]{32}$")]
    private static partial Regex StagingPid();
}
