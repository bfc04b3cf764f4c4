using System.Text.Json.Nodes;
using Inference;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Reports;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Triton;

/// <summary>
/// <c>optimize MODEL -o OUT --emit triton REPO</c>: the model folder Triton loads, versioned without writing over a
/// version, the config checked against the model written and run in ONNX Runtime at its shapes; bad input refused
/// before anything is written, and a run that fails leaves REPO as it was.
/// </summary>
public sealed class EmitTritonTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private string Repo => _dir.File("repo");

    private string Model
    {
        get
        {
            var model = _dir.File("tiny_cnn.onnx");
            if (!File.Exists(model)) File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), model);
            return model;
        }
    }

    private CliRunner.Result Run(string output, params string[] extra) => CliRunner.Run([Model, "-o", _dir.File(output), .. extra]);

    private ModelConfig Config(string name = "tiny_cnn") =>
        ProtoTextReader.Parse<ModelConfig>(File.ReadAllText(Path.Combine(Repo, name, TritonRepository.ConfigFileName)));

    [Fact]
    public void Writes_a_model_folder_whose_config_fits_the_model_and_runs_at_its_shapes()
    {
        var result = Run("out", "--emit", "triton", Repo);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        var served = Path.Combine(Repo, "tiny_cnn", "1", "model.onnx");
        Assert.Equal(FileHash.Sha256(_dir.File("out/model.onnx")), FileHash.Sha256(served));
        var config = Config();
        Assert.Empty(TritonConfigCheck.Check(config, "tiny_cnn", TritonArtifact.Onnx, TritonModel.FromModel(ModelReader.Read(served))));
        Assert.Equal("onnxruntime_onnx", config.Platform);
        Assert.Equal(TritonConfigBuilder.DefaultMaxBatch, config.MaxBatchSize);
        Assert.Equal(["input"], config.Input.Select(i => i.Name));
        Assert.Equal([3L, 64, 64], config.Input[0].Dims);
        Assert.Contains($"triton: {Path.Combine(Repo, "tiny_cnn")} version 1 (onnxruntime_onnx, max_batch_size 8)", result.Stdout);
        var manifest = JsonNode.Parse(File.ReadAllText(_dir.File("out/manifest.json")))!["triton"]!;
        Assert.Equal(1, manifest["version"]!.GetValue<int>());
        Assert.Equal(FileHash.Sha256(served), manifest["files"]![0]!["sha256"]!.GetValue<string>());

        // A client sends [max_batch_size] + dims; the served model (ONNX Runtime, optimizations off) answers in the
        // configured output shape.
        var input = OrtRunner.Random(Onnx.IR.ElementType.Float, [config.MaxBatchSize, .. config.Input[0].Dims], new Random(5));
        var outputs = OrtRunner.RunFile(served, new Dictionary<string, TestTensor> { [config.Input[0].Name] = input });
        Assert.Equal([config.MaxBatchSize, .. config.Output[0].Dims], outputs[config.Output[0].Name].Dims);
    }

    [Fact]
    public void An_existing_model_folder_gets_the_next_version_and_the_earlier_one_is_kept()
    {
        Assert.Equal(ExitCodes.Success, Run("out1", "--emit", "triton", Repo).ExitCode);
        var first = Path.Combine(Repo, "tiny_cnn", "1", "model.onnx");
        var firstHash = FileHash.Sha256(first);
        Directory.CreateDirectory(Path.Combine(Repo, "tiny_cnn", "7")); // versions need not be contiguous

        var second = Run("out2", "--emit", "triton", Repo, "--triton-max-batch", "4");

        Assert.True(second.ExitCode == ExitCodes.Success, second.Stderr);
        Assert.Equal(firstHash, FileHash.Sha256(first));
        Assert.True(File.Exists(Path.Combine(Repo, "tiny_cnn", "8", "model.onnx")));
        Assert.Equal(4, Config().MaxBatchSize);
        Assert.Equal([4], Config().DynamicBatching.PreferredBatchSize);
        Assert.Contains("version 8", second.Stdout);
        Assert.Contains("config.pbtxt replaced for the new version", second.Stdout);
        Assert.Equal(["1", "7", "8", "config.pbtxt"], Directory.EnumerateFileSystemEntries(Path.Combine(Repo, "tiny_cnn")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["tiny_cnn"], Directory.EnumerateFileSystemEntries(Repo).Select(Path.GetFileName)); // no staging folder left
    }

    [Fact]
    public void Fixed_input_shapes_mean_no_batching_and_a_batch_size_is_then_refused()
    {
        var fixedRun = Run("out", "--shapes", "input:1x3x64x64", "--emit", "triton", Repo, "--triton-name", "tiny_fixed");
        Assert.True(fixedRun.ExitCode == ExitCodes.Success, fixedRun.Stderr);
        Assert.Equal(0, Config("tiny_fixed").MaxBatchSize);
        Assert.Equal([1L, 3, 64, 64], Config("tiny_fixed").Input[0].Dims);

        var refused = Run("out2", "--shapes", "input:1x3x64x64", "--emit", "triton", Repo, "--triton-name", "tiny_fixed", "--triton-max-batch", "4");

        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("--triton-max-batch 4 asks for batching, but the model has no batch axis ('input' has first dim 1)", refused.Stderr);
        Assert.False(Directory.Exists(_dir.File("out2")));
        Assert.False(Directory.Exists(Path.Combine(Repo, "tiny_fixed", "2")));
    }

    [Fact]
    public void The_batch_search_of_bench_sets_the_preferred_batch_and_the_queue_delay_its_p95_leaves_of_the_budget()
    {
        // A report as 'optimize bench --batch auto --max-p95 10 --report DIR' writes it: p95 = 1.2 * (1 + 0.5 * batch) ms.
        var (batches, search) = BatchSearch.Find(batch =>
        {
            var p50 = 1 + 0.5 * batch;
            return new BatchResult
            {
                BatchSize = batch, ColdStart = new ColdStart(1, 1), Runs = 10,
                LatencyMs = new LatencyStats(p50, p50, 0, p50, p50, p50 * 1.2, p50 * 1.2, p50 * 1.2),
                ThroughputPerSecond = batch / (p50 / 1000),
            };
        }, maxP95Ms: 10);
        var report = new BenchReport { Model = Model, Runtime = "onnxruntime", Provider = "cpu", Data = "random", Batches = batches, Search = search };
        Directory.CreateDirectory(_dir.File("bench"));
        File.WriteAllText(_dir.File("bench/report.json"), ReportJson.Serialize(report));
        var chosen = batches.Single(b => b.BatchSize == search.Chosen);

        var result = Run("out", "--emit", "triton", Repo, "--triton-batch-from", _dir.File("bench"));

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        var config = Config();
        Assert.Equal(14, search.Chosen); // 1.2 * (1 + 7) = 9.6 ms; batch 15 would take 10.2 ms
        Assert.Equal(search.Chosen, config.MaxBatchSize);
        Assert.Equal([search.Chosen!.Value], config.DynamicBatching.PreferredBatchSize);
        Assert.Equal((ulong)Math.Floor((10 - chosen.LatencyMs.P95) * 1000), config.DynamicBatching.MaxQueueDelayMicroseconds);
        Assert.Equal(400UL, config.DynamicBatching.MaxQueueDelayMicroseconds);
    }

    [Theory]
    [InlineData(new[] { "--emit", "triton", "REPO", "--triton-name", "a/b" }, "--triton-name 'a/b' is not a Triton model name")]
    [InlineData(new[] { "--emit", "triton", "REPO", "--triton-name", ".hidden" }, "--triton-name '.hidden' is not a Triton model name")]
    [InlineData(new[] { "--emit", "onnx", "REPO" }, "--emit: unknown target 'onnx'; the one there is: triton")]
    [InlineData(new[] { "--triton-max-batch", "4" }, "--triton-max-batch goes with --emit triton REPO")]
    [InlineData(new[] { "--emit", "triton", "REPO", "--triton-max-batch", "0" }, "--triton-max-batch 0: give a batch size of at least 1")]
    [InlineData(new[] { "--emit", "triton", "REPO", "--triton-batch-from", "nowhere.json" }, "--triton-batch-from")]
    [InlineData(new[] { "--emit", "triton", "FILE" }, "--emit triton '")]
    public void Bad_input_is_one_line_exit_2_and_nothing_is_written(string[] extra, string message)
    {
        File.WriteAllText(_dir.File("a-file"), "x");
        var args = extra.Select(a => a switch { "REPO" => Repo, "FILE" => _dir.File("a-file"), "nowhere.json" => _dir.File("nowhere.json"), _ => a }).ToArray();

        var result = Run("out", args);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(_dir.File("out")));
        Assert.False(Directory.Exists(Repo));
    }

    [Theory]
    [InlineData("{\"model\": \"m.onnx\", \"batches\": []}", "holds no batch search; write it with 'optimize bench MODEL --batch auto --max-p95 MS --report DIR'")]
    [InlineData("{\"search\": {\"maxP95Ms\": 1, \"reason\": \"even batch 1 has p95 3 ms\"}}", "the search chose no batch size (even batch 1 has p95 3 ms)")]
    [InlineData("{\"search\": {\"chosen\": \"eight\"}}", "is not a bench report")]
    [InlineData("not json", "is not JSON")]
    public void A_report_without_a_chosen_batch_is_refused(string json, string message)
    {
        File.WriteAllText(_dir.File("report.json"), json);

        var result = Run("out", "--emit", "triton", Repo, "--triton-batch-from", _dir.File("report.json"));

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(Repo));
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Fact]
    public void A_model_file_name_Triton_cannot_serve_asks_for_a_name()
    {
        var odd = _dir.File("my model.onnx");
        File.Copy(Model, odd);

        var result = CliRunner.Run(odd, "-o", _dir.File("out"), "--emit", "triton", Repo);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("the model's file name 'my model' is not a Triton model name", result.Stderr);
        Assert.Contains("choose one with --triton-name NAME", result.Stderr);
    }

    [Fact]
    public void A_run_that_fails_a_gate_leaves_the_repository_as_it_was()
    {
        Assert.Equal(ExitCodes.Success, Run("out1", "--emit", "triton", Repo).ExitCode);
        var before = FileHash.FolderSha256(Repo);
        // What a killed run left: a staging folder of a process that no longer runs is cleared by the next one that writes.
        var data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

        var result = Run("out2", "--validate", data, "--min-speedup", "1000", "--emit", "triton", Repo);

        Assert.Equal(ExitCodes.GateFailed, result.ExitCode);
        Assert.Contains("not writing the Triton model: the run failed a gate", result.Stderr);
        Assert.Equal(before, FileHash.FolderSha256(Repo));
        Assert.False(Directory.Exists(Path.Combine(Repo, "tiny_cnn", "2")));
    }

    [Fact]
    public void Staging_folders_of_killed_runs_are_removed_by_the_next_run()
    {
        var leftover = Path.Combine(Repo, $".optimize-triton-{int.MaxValue - 1}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(leftover, "tiny_cnn", "1"));

        Assert.Equal(ExitCodes.Success, Run("out", "--emit", "triton", Repo).ExitCode);

        Assert.False(Directory.Exists(leftover));
        Assert.Equal(["tiny_cnn"], Directory.EnumerateFileSystemEntries(Repo).Select(Path.GetFileName));
    }

    public void Dispose() => _dir.Dispose();
}
