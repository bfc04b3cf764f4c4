using System.Diagnostics;
using System.Security.Cryptography;
using Optimizer.Cli.Output;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize MODEL -o OUT</c> takes OUT for itself and publishes its files together at the end: a second run is
/// refused or waits, and a run that fails, is cancelled or is killed leaves OUT as it was (found by fault injection:
/// ../shared/fuzz-repro/README.md).
/// </summary>
public sealed class OutputTransactionTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2); // a hang, not a slow machine

    private readonly TempDir _dir = TestPaths.NewTempDir();

    private string Out => _dir.File("out");

    private static string TinyCnn => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    private static string ValidationData => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_run_on_a_taken_folder_is_refused_naming_the_process_that_holds_it()
    {
        using (var first = new OutputTransaction(Out, wait: false, TextWriter.Null))
        {
            first.Open(CancellationToken.None);
            var result = CliRunner.Run(TinyCnn, "-o", Out);

            Assert.Equal(2, result.ExitCode);
            var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"in use by another optimize run (process {Environment.ProcessId})", error);
            Assert.Contains("--wait", error);
            Assert.Equal("", result.Stdout);
        }
        Assert.False(Directory.Exists(Out), "the folder neither run published stays behind");
    }

    [Fact]
    public async Task With_wait_the_second_run_completes_once_the_first_is_done()
    {
        var first = new OutputTransaction(Out, wait: false, TextWriter.Null);
        first.Open(CancellationToken.None);
        var stderr = new WatchedWriter("waiting for another optimize run");
        var stdout = new StringWriter();
        var second = Task.Run(() => CommandLineApp.Run([TinyCnn, "-o", Out, "--wait"], stdout, stderr));

        Assert.True(stderr.Seen.Wait(Patience), $"the second run did not wait\n{stderr}");
        Assert.False(second.IsCompleted);
        first.Dispose();
        var code = await second.WaitAsync(Patience);

        Assert.True(code == 0, stderr.ToString());
        Assert.Contains($"wrote {Path.Combine(Out, "model.onnx")}", stdout.ToString());
        Assert.Equal(["manifest.json", "model.onnx", "report.json", "report.md"], Visible(Out));
        Assert.DoesNotContain(".staging-", File.ReadAllText(Path.Combine(Out, "manifest.json")));
    }

    [Fact]
    public void A_failure_after_the_model_is_written_leaves_the_folder_as_it_was()
    {
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", Out, "--passes", "none").ExitCode);
        var before = Snapshot(Out);
        // The disk fills once the model and the validation folder are staged (the next line on stderr fails).
        var stderr = new WatchedWriter("wrote ", onSeen: () => throw new IOException("No space left on device"));

        var code = CommandLineApp.Run([TinyCnn, "-o", Out, "--validate", ValidationData], new StringWriter(), stderr);

        Assert.True(code == 2, stderr.ToString());
        Assert.Contains("No space left on device", stderr.ToString());
        Assert.Equal(before, Snapshot(Out));
    }

    [Fact]
    public void A_failure_in_a_folder_the_run_created_removes_the_folder()
    {
        var stderr = new WatchedWriter("wrote ", onSeen: () => throw new IOException("No space left on device"));

        var code = CommandLineApp.Run([TinyCnn, "-o", Out, "--validate", ValidationData], new StringWriter(), stderr);

        Assert.True(code == 2, stderr.ToString());
        Assert.False(Directory.Exists(Out), string.Join(", ", Directory.Exists(Out) ? Directory.GetFileSystemEntries(Out) : []));
    }

    [Fact]
    public void Cancelling_before_the_files_are_published_exits_130_and_leaves_the_folder_as_it_was()
    {
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", Out, "--passes", "none").ExitCode);
        var before = Snapshot(Out);
        using var cancel = new CancellationTokenSource();
        // Ctrl+C once everything is staged: the next check is the one right before publishing.
        var stderr = new WatchedWriter("wrote ", onSeen: cancel.Cancel);
        var stdout = new StringWriter();

        var code = CommandLineApp.Run([TinyCnn, "-o", Out, "--validate", ValidationData], stdout, stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.Equal("", stdout.ToString()); // no "wrote OUT/model.onnx" for a model that was not published
        Assert.Equal(before, Snapshot(Out));
    }

    [Fact]
    public void Validate_changes_its_report_folder_and_junit_file_only_when_the_run_is_published()
    {
        var report = _dir.File("report");
        var junit = _dir.File("ci/junit.xml");
        Directory.CreateDirectory(Path.GetDirectoryName(junit)!);
        string[] args = ["validate", "--baseline", TinyCnn, "--candidate", TinyCnn, "--data", ValidationData, "--report", report, "--junit", junit];
        var first = CliRunner.Run(args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(File.Exists(Path.Combine(report, "report.json")));
        Assert.Contains("<testsuites", File.ReadAllText(junit));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(report, ".staging-*"), _ => true);
        File.WriteAllText(junit, "from an earlier run");
        var before = Snapshot(report);
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter("wrote ", onSeen: cancel.Cancel);

        var code = CommandLineApp.Run(args, new StringWriter(), stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.Equal(before, Snapshot(report));
        Assert.Equal("from an earlier run", File.ReadAllText(junit));
    }

    [Fact]
    public void A_junit_file_outside_OUT_is_published_with_OUT_and_left_alone_by_a_cancelled_run()
    {
        var junit = _dir.File("junit.xml");
        string[] args = [TinyCnn, "-o", Out, "--validate", ValidationData, "--junit", junit];
        Assert.Equal(0, CliRunner.Run(args).ExitCode);
        Assert.Contains("<testsuites", File.ReadAllText(junit));
        File.WriteAllText(junit, "from an earlier run");
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter("wrote ", onSeen: cancel.Cancel);

        var code = CommandLineApp.Run(args, new StringWriter(), stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.Equal("from an earlier run", File.ReadAllText(junit));
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Bench_writes_its_report_folder_whole_or_not_at_all()
    {
        var report = _dir.File("bench");
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter("wrote ", onSeen: cancel.Cancel);

        var code = CommandLineApp.Run(["bench", TinyCnn, "--warmup", "0", "--runs", "2", "--report", report], new StringWriter(), stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.False(Directory.Exists(report));
        var done = CliRunner.Run("bench", TinyCnn, "--warmup", "0", "--runs", "2", "--report", report);
        Assert.True(done.ExitCode == 0, done.Stderr);
        Assert.True(File.Exists(Path.Combine(report, "report.json")) && File.Exists(Path.Combine(report, "latency.csv")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(report, ".staging-*"), _ => true);
        Assert.Contains($"to {report}", done.Stderr); // the published folder, not the staging one
    }

    [Fact]
    public void The_manifest_hashes_every_file_the_run_published_reports_included()
    {
        var result = CliRunner.Run(TinyCnn, "-o", Out, "--validate", ValidationData);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var files = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Out, Manifest.FileName)))!["files"]!.AsObject()
            .ToDictionary(f => f.Value!["path"]!.GetValue<string>(), f => f.Value!["sha256"]!.GetValue<string>());
        var published = Directory.EnumerateFiles(Out, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Out, f))
            .Where(f => f is not Manifest.FileName and not OutputTransaction.LockFileName).ToList();
        Assert.Contains("report.json", published);
        Assert.Contains("validation/report.md", published);
        foreach (var file in published)
        {
            Assert.True(files.ContainsKey(file), $"{file} is not in the manifest");
            Assert.Equal(Optimizer.Onnx.IO.FileHash.Sha256(Path.Combine(Out, file)), files[file]);
        }
    }

    [Fact]
    public void Bench_interrupted_after_a_batch_size_keeps_what_finished_and_exits_130()
    {
        var report = _dir.File("bench");
        using var cancel = new CancellationTokenSource();
        var stderr = new WatchedWriter("batch 2: loading", onSeen: cancel.Cancel); // Ctrl+C once batch 1 is done
        var stdout = new StringWriter();

        var code = CommandLineApp.Run(["bench", TinyCnn, "--batch", "1,2", "--warmup", "0", "--duration", "5", "--report", report, "--json"], stdout, stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        Assert.Contains("interrupted: the report holds the batch sizes that finished (1)", stderr.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
        Assert.True(json.RootElement.GetProperty("interrupted").GetBoolean());
        Assert.Equal([1], json.RootElement.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("batchSize").GetInt32()));
        Assert.Contains("\"interrupted\": true", stdout.ToString());
        Assert.Contains("**Interrupted**", File.ReadAllText(Path.Combine(report, "report.md")));
    }

    [Fact]
    public void What_a_killed_run_left_is_removed_by_the_next_run()
    {
        var dead = DeadPid();
        var staging = Path.Combine(Out, $".staging-{dead}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        File.WriteAllBytes(Path.Combine(staging, $".model.onnx.data.{dead}.{Guid.NewGuid():N}.tmp"), new byte[1000]);
        var oldTemp = Path.Combine(Out, $".model.onnx.{dead}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(oldTemp, new byte[1000]);
        var live = Path.Combine(Out, $".model.onnx.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(live, new byte[10]);

        var result = CliRunner.Run(TinyCnn, "-o", Out, "--passes", "none");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.False(Directory.Exists(staging));
        Assert.False(File.Exists(oldTemp));
        Assert.True(File.Exists(live), "a temporary file of a process that still runs is its own");
    }

    [Fact]
    public void A_run_killed_while_writing_never_leaves_a_partial_model_and_the_next_run_cleans_up()
    {
        var model = _dir.File("big.onnx");
        ModelWriter.Write(BigModel(), model);
        var dll = OptimizeDll();
        var killed = false;
        for (var attempt = 0; attempt < 3 && !killed; attempt++)
        {
            using var child = Process.Start(new ProcessStartInfo("dotnet", [dll, model, "-o", Out, "--passes", "none"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            // Kill it once a staged file is being written.
            while (!child.HasExited && !StagedTempFiles().Any(f => new FileInfo(f).Length > 0)) Thread.Sleep(2);
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                killed = true;
            }
            child.WaitForExit();
            if (!killed) Directory.Delete(Out, recursive: true); // it finished first: try again
        }
        Assert.True(killed, "the child finished each time before it could be killed mid-write");
        Assert.False(File.Exists(Path.Combine(Out, "model.onnx")), "a killed run published a model");
        Assert.False(File.Exists(Path.Combine(Out, "model.onnx.data")));
        Assert.NotEmpty(Directory.GetDirectories(Out, ".staging-*", new EnumerationOptions { AttributesToSkip = 0 }));

        var next = CliRunner.Run(TinyCnn, "-o", Out, "--passes", "none");

        Assert.True(next.ExitCode == 0, next.Stderr);
        Assert.Empty(Directory.GetDirectories(Out, ".staging-*", new EnumerationOptions { AttributesToSkip = 0 }));
        Assert.Empty(Directory.GetFiles(Out, "*.tmp", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true }));
        Assert.Equal(["manifest.json", "model.onnx", "report.json", "report.md"], Visible(Out));
    }

    private IEnumerable<string> StagedTempFiles()
    {
        try
        {
            return Directory.Exists(Out)
                ? Directory.GetFiles(Out, "*.tmp", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // a folder went away while listing
        }
    }

    /// <summary>About 64 MiB of weights (external data): long enough to write that a kill lands mid-write.</summary>
    private static Model BigModel()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 2048);
        for (var i = 0; i < 4; i++) x = b.Op("MatMul", [x, b.RandomInitializer($"w{i}", 0.01f, 2048, 2048)]);
        b.Output(x);
        return b.Build();
    }

    /// <summary>The command line's build beside this test's (same configuration), run with <c>dotnet</c>.</summary>
    private static string OptimizeDll() => CliProcess.Dll();

    /// <summary>The PID of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    private static List<string> Visible(string dir) =>
        Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every file and folder under <paramref name="dir"/>, hidden ones too, with its content's hash.</summary>
    private static SortedDictionary<string, string> Snapshot(string dir)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true }))
            all[entry] = File.Exists(entry) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry))) : "folder";
        return all;
    }
}
