using System.Text.Json.Nodes;
using Optimizer.Onnx.IO;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--cache DIR</c>: a second run with the same inputs restores each step from the cache and writes the same bytes; a
/// changed option misses only the steps it shapes; an entry that fails its hash check is reported, deleted and rebuilt.
/// </summary>
public sealed class CacheTests : IDisposable
{
    private static readonly string Models = Path.Combine(TestPaths.RepoRoot, "models");
    private static readonly string TinyCnn = Path.Combine(Models, "tiny_cnn.onnx");
    private static readonly string Calib = Path.Combine(Models, "tiny_cnn_data", "calib");
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private string Cache => _dir.File("cache");

    private CliRunner.Result Optimize(string outDir, params string[] extra) =>
        CliRunner.Run([TinyCnn, "-o", _dir.File(outDir), "--quantize", "int8", "--calibrate", Calib, "--cache", Cache, .. extra]);

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ".optimize.lock")
            .ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    private string EntryFolder(string step) => Assert.Single(Directory.GetDirectories(Path.Combine(Cache, step)));

    [Fact]
    public void A_second_run_restores_the_optimize_step_and_writes_the_same_bytes()
    {
        var first = Optimize("out");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("cache: optimize miss (key ", first.Stderr);
        Assert.Contains("cache: calibrate miss (key ", first.Stderr);
        var written = Files(_dir.File("out"));
        Directory.Delete(_dir.File("out"), recursive: true);

        var second = Optimize("out");

        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("cache: optimize hit (key ", second.Stderr);
        Assert.DoesNotContain("calibrating", second.Stderr);
        Assert.Equal(first.Stdout, second.Stdout);
        var again = Files(_dir.File("out"));
        Assert.Equal(written.Keys.Order(), again.Keys.Order());
        foreach (var (name, bytes) in written) Assert.True(bytes.AsSpan().SequenceEqual(again[name]), $"{name} differs");
    }

    [Theory]
    [MemberData(nameof(ReproducibleOutputTests.Jobs), MemberType = typeof(ReproducibleOutputTests))]
    public void Every_kind_of_job_is_restored_byte_for_byte(string job, string options)
    {
        string[] args = [TinyCnn, "-o", _dir.File("out"), "--cache", Cache, .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        var first = CliRunner.Run(args);
        Assert.True(first.ExitCode == 0, $"{job}: {first.Stderr}");
        var written = Files(_dir.File("out"));
        Directory.Delete(_dir.File("out"), recursive: true);

        var second = CliRunner.Run(args);

        Assert.Contains("cache: optimize hit", second.Stderr);
        var again = Files(_dir.File("out"));
        Assert.Equal(written.Keys.Order(), again.Keys.Order());
        foreach (var (name, bytes) in written) Assert.True(bytes.AsSpan().SequenceEqual(again[name]), $"{job}: {name} differs");
    }

    [Fact]
    public void A_restored_report_names_this_runs_output_folder()
    {
        Assert.Equal(0, Optimize("a").ExitCode);
        var second = Optimize("b/elsewhere");

        Assert.Contains("cache: optimize hit", second.Stderr);
        var report = JsonNode.Parse(File.ReadAllText(_dir.File("b/elsewhere/report.json")))!;
        Assert.Equal(_dir.File("b/elsewhere/model.onnx"), (string?)report["output"]);
        Assert.Equal(TinyCnn, (string?)report["input"]);
        Assert.Equal(Calib, (string?)report["quantization"]!["calibrationData"]);
        Assert.DoesNotContain("@@cache:", File.ReadAllText(_dir.File("b/elsewhere/report.md")));
        Assert.DoesNotContain(_dir.File("a"), File.ReadAllText(_dir.File("b/elsewhere/manifest.json")));
        Assert.Equal(File.ReadAllBytes(_dir.File("a/model.onnx")), File.ReadAllBytes(_dir.File("b/elsewhere/model.onnx")));
    }

    [Fact]
    public void The_manifest_lists_every_artifact_with_its_hash_and_the_keys_it_was_built_under()
    {
        var run = Optimize("out");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var manifest = JsonNode.Parse(File.ReadAllText(_dir.File("out/manifest.json")))!;
        Assert.Equal(Path.GetFileName(EntryFolder("optimize")), (string?)manifest["cache"]!["optimize"]);
        Assert.Equal(Path.GetFileName(EntryFolder("calibrate")), (string?)manifest["cache"]!["calibrate"]);
        var listed = manifest["files"]!.AsObject().Select(f => (string)f.Value!["path"]!).ToHashSet();
        foreach (var file in Directory.EnumerateFiles(_dir.File("out")).Select(Path.GetFileName).Where(n => n is not ("manifest.json" or ".optimize.lock")))
            Assert.Contains(file!, listed);
        foreach (var (_, file) in manifest["files"]!.AsObject().Where(f => !Path.IsPathRooted((string)f.Value!["path"]!)))
            Assert.Equal(FileHash.Sha256(Path.Combine(_dir.File("out"), (string)file!["path"]!)), (string?)file["sha256"]);
    }

    [Theory]
    [InlineData("Conv")]
    [InlineData("Add")]
    [InlineData("Relu")]
    public void A_changed_exclude_reruns_quantization_on_the_cached_calibration_and_writes_what_a_run_without_cache_writes(string exclude)
    {
        // one calibration method: each tensor's range comes from its own statistics, whichever nodes are quantized
        string[] minmax = ["--calibration-method", "minmax"];
        Assert.Equal(0, Optimize("first", minmax).ExitCode);

        var cached = Optimize("cached", [.. minmax, "--exclude", exclude]);
        var fresh = CliRunner.Run([TinyCnn, "-o", _dir.File("fresh"), "--quantize", "int8", "--calibrate", Calib, "--exclude", exclude, .. minmax]);

        Assert.True(cached.ExitCode == 0, cached.Stderr);
        Assert.Contains("cache: optimize miss", cached.Stderr);
        Assert.Contains("cache: calibrate hit", cached.Stderr);
        foreach (var file in new[] { "model.onnx", "calibration.json" })
            Assert.True(File.ReadAllBytes(_dir.File($"cached/{file}")).AsSpan().SequenceEqual(File.ReadAllBytes(_dir.File($"fresh/{file}"))), $"{file} differs");
    }

    [Fact]
    public void With_the_default_method_comparison_a_changed_exclude_calibrates_again()
    {
        // best compares the quantized models, and which nodes are quantized decides that comparison
        Assert.Equal(0, Optimize("first").ExitCode);
        var changed = Optimize("changed", "--exclude", "Conv");
        Assert.True(changed.ExitCode == 0, changed.Stderr);
        Assert.Contains("cache: calibrate miss", changed.Stderr);
        Assert.Contains("cache: calibrate miss", Optimize("per-tensor", "--exclude", "Conv", "--per-tensor").Stderr);
        Assert.Contains("cache: calibrate miss", Optimize("gptq", "--exclude", "Conv", "--per-tensor", "--weight-rounding", "gptq").Stderr);
    }

    [Fact]
    public void Changed_external_data_misses_the_optimize_step()
    {
        var model = _dir.File("ext/model.onnx");
        Onnx.Serialization.ModelWriter.Write(Onnx.Serialization.ModelReader.Read(TinyCnn), model,
            new Onnx.Serialization.ModelWriteOptions { ExternalData = Onnx.Serialization.ExternalDataMode.Always });
        CliRunner.Result Run() => CliRunner.Run(model, "-o", _dir.File("out"), "--cache", Cache);
        Assert.Contains("cache: optimize miss", Run().Stderr);
        Assert.Contains("cache: optimize hit", Run().Stderr);

        var bytes = File.ReadAllBytes(model + ".data");
        bytes[^2] ^= 0x01; // a low bit of the last weight: the model stays valid, its weights change
        File.WriteAllBytes(model + ".data", bytes);
        var changed = Run();

        Assert.True(changed.ExitCode == 0, changed.Stderr);
        Assert.Contains("cache: optimize miss", changed.Stderr);
    }

    [Fact]
    public void A_changed_accuracy_budget_reruns_quantization_on_the_cached_calibration()
    {
        var validate = Path.Combine(Models, "tiny_cnn_data", "validate");
        var first = Optimize("first", "--validate", validate, "--max-accuracy-drop", "cosine=0.999");
        var second = Optimize("second", "--validate", validate, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("cache: optimize miss", second.Stderr);
        Assert.Contains("cache: calibrate hit", second.Stderr);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(Cache, "optimize")).Length);
    }

    [Fact]
    public void A_changed_calibration_method_misses_the_calibrate_step()
    {
        Assert.Equal(0, Optimize("first").ExitCode);

        var second = Optimize("second", "--calibration-method", "percentile");

        Assert.Contains("cache: optimize miss", second.Stderr);
        Assert.Contains("cache: calibrate miss", second.Stderr);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(Cache, "calibrate")).Length);
    }

    public static IEnumerable<object[]> Damages() =>
    [
        ["a flipped byte", (Action<string>)(entry =>
        {
            var model = Path.Combine(entry, "out", "model.onnx");
            var bytes = File.ReadAllBytes(model);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(model, bytes);
        }), "out/model.onnx does not match its sha256"],
        ["a deleted file", (Action<string>)(entry => File.Delete(Path.Combine(entry, "out", "calibration.json"))), "out/calibration.json is missing"],
        ["a truncated entry.json", (Action<string>)(entry => File.WriteAllText(Path.Combine(entry, "entry.json"), "{\"files\": [")), "entry.json is missing or unreadable"],
        ["an extra file", (Action<string>)(entry => File.WriteAllText(Path.Combine(entry, "out", "extra.md"), "x")), "out/extra.md is not listed in entry.json"],
    ];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_entry_is_reported_deleted_and_rebuilt_never_used(string damage, Action<string> harm, string reason)
    {
        Assert.Equal(0, Optimize("first").ExitCode);
        var entry = EntryFolder("optimize");
        harm(entry);

        var second = Optimize("second");

        Assert.True(second.ExitCode == 0, $"{damage}: {second.Stderr}");
        var line = Assert.Single(second.Stderr.Split('\n'), l => l.Contains("is corrupt"));
        Assert.Equal($"cache: optimize entry {Path.GetFileName(entry)[..12]}… is corrupt ({reason}); deleted, rebuilding it", line);
        Assert.Contains("cache: optimize miss", second.Stderr);
        Assert.Equal(File.ReadAllBytes(_dir.File("first/model.onnx")), File.ReadAllBytes(_dir.File("second/model.onnx")));
        Assert.False(File.Exists(_dir.File("second/extra.md")));
        Assert.Null(Onnx.IO.CacheEntryFolder.Check(entry, out _)); // rebuilt whole
        Assert.Contains("cache: optimize hit", Optimize("third").Stderr);
    }

    [Fact]
    public void A_staging_folder_left_by_a_run_that_died_is_reported_removed_and_never_used()
    {
        Assert.Equal(0, Optimize("first").ExitCode);
        var entry = EntryFolder("optimize");
        var key = Path.GetFileName(entry);
        // A run killed between filling its staging folder and the rename: its process (a pid no process has) is gone.
        var stale = Path.Combine(Cache, "optimize", $".{key}.{int.MaxValue}.0123456789abcdef.tmp");
        Directory.Move(entry, stale);

        var second = Optimize("second");

        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains($"cache: optimize entry {key[..12]}… was left half-written by a run that stopped; deleted", second.Stderr);
        Assert.Contains("cache: optimize miss", second.Stderr);
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(entry));
    }

    [Fact]
    public void A_pipeline_files_cache_key_is_the_option()
    {
        File.WriteAllText(_dir.File("job.yaml"), $"""
            model: {TinyCnn}
            output: out
            quantize: int8
            calibrate: {Calib}
            cache: cache
            """);

        var first = CliRunner.Run("run", _dir.File("job.yaml"));
        var second = CliRunner.Run("run", _dir.File("job.yaml"));

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("cache: optimize miss", first.Stderr);
        Assert.Contains("cache: optimize hit", second.Stderr);
        Assert.True(File.Exists(Path.Combine(EntryFolder("optimize"), "entry.json")));
    }

    [Fact]
    public void Run_passes_its_cache_to_the_jobs_without_one()
    {
        File.WriteAllText(_dir.File("job.yaml"), $"""
            model: {TinyCnn}
            output: out
            """);

        var first = CliRunner.Run("run", _dir.File("job.yaml"), "--cache", Cache);
        var second = CliRunner.Run("run", _dir.File("job.yaml"), "--cache", Cache);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("cache: optimize miss", first.Stderr);
        Assert.Contains("cache: optimize hit", second.Stderr);
    }

    [Fact]
    public void OPTIMIZE_CACHE_names_the_cache_when_no_option_does()
    {
        // In a child process: setting the variable here would give every test running beside this one a cache.
        var dll = CliProcess.Dll();
        string Run()
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [dll, TinyCnn, "-o", _dir.File("out"), "--passes", "none"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["OPTIMIZE_CACHE"] = Cache;
            using var child = System.Diagnostics.Process.Start(start)!;
            var stderr = child.StandardError.ReadToEndAsync();
            child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Assert.True(child.ExitCode == 0, stderr.Result);
            return stderr.Result;
        }

        Assert.Contains("cache: optimize miss", Run());
        Assert.Contains("cache: optimize hit", Run());
        Assert.True(File.Exists(Path.Combine(EntryFolder("optimize"), "entry.json")));
    }

    [Fact]
    public void A_cache_that_cannot_store_the_result_says_so_and_the_run_still_writes_its_output()
    {
        Directory.CreateDirectory(Cache);
        File.WriteAllText(Path.Combine(Cache, "optimize"), "not a folder");

        var run = CliRunner.Run(TinyCnn, "-o", _dir.File("out"), "--cache", Cache);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("cache: could not store the optimize step's result (", run.Stderr);
        Assert.True(File.Exists(_dir.File("out/model.onnx")));
    }

    [Fact]
    public void A_cache_path_that_is_a_file_is_refused_before_anything_is_written()
    {
        File.WriteAllText(_dir.File("file"), "x");

        var run = CliRunner.Run(TinyCnn, "-o", _dir.File("out"), "--cache", _dir.File("file"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: --cache '{_dir.File("file")}' is a file; give a folder", run.Stderr.Trim());
        Assert.False(Directory.Exists(_dir.File("out")));
    }
}
