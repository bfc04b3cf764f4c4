using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Tests.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Commands;

/// <summary>optimize bench and optimize validate end to end: exit codes, messages, and the files they write.</summary>
public sealed class CommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = CommandLineApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void ValidateAgainstAPerturbedCopyExitsOneAndWritesJUnit()
    {
        using var dir = TestPaths.NewTempDir();
        var candidate = ModelFixtures.WritePerturbedMobileNet(dir.Path, 0.5);
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(dir.File("images")).FullName);
        var before = File.ReadAllBytes(candidate);
        var (exit, stdout, stderr) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", candidate, "--data", images,
            "--max-accuracy-drop", "cosine=0.9999", "--max-accuracy-drop", "top5-agreement=0.2", "--report", dir.File("report"), "--junit", dir.File("junit.xml"));
        Assert.Equal(ExitCodes.GateFailed, exit);
        Assert.Contains("gate cosine >= 0.9999 failed", stderr);
        Assert.Contains("validation FAILED", stdout);
        var junit = File.ReadAllText(dir.File("junit.xml"));
        Assert.Contains("tests=\"2\" failures=\"1\"", junit);
        Assert.True(File.Exists(dir.File("report/report.json")) && File.Exists(dir.File("report/report.md")) && File.Exists(dir.File("report/predictions.csv")));
        Assert.Equal(before, File.ReadAllBytes(candidate));
    }

    [Fact]
    public void ValidateWithoutAGateSaysNothingWasCheckedNotPassed()
    {
        using var dir = TestPaths.NewTempDir();
        var unrelated = ModelFixtures.WritePerturbedMobileNet(dir.Path, 5.0);
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(dir.File("images")).FullName);
        var (exit, stdout, _) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", unrelated, "--data", images, "--report", dir.File("r"),
            "--junit", dir.File("junit.xml"));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.DoesNotContain("passed", stdout);
        Assert.Contains("no gate given, so nothing was checked", stdout);
        // the files say so too: "passed" is null (neither passed nor failed), "checked" false, the heading no verdict
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("r/report.json")))!.AsObject();
        Assert.True(json.ContainsKey("passed"));
        Assert.Null(json["passed"]);
        Assert.False((bool)json["checked"]!);
        var markdown = File.ReadAllText(dir.File("r/report.md"));
        Assert.StartsWith($"# Validation: {Path.GetFileName(unrelated)} (no gate given: nothing checked)", markdown);
        Assert.DoesNotContain("passed", markdown);
        Assert.Contains("<skipped message=\"no gate given: nothing checked\"", File.ReadAllText(dir.File("junit.xml")));
        // --json prints the same fields
        var (_, printed, _) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", unrelated, "--data", images, "--report", dir.File("r2"), "--json");
        Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(printed)!["passed"]);
        Assert.False((bool)System.Text.Json.Nodes.JsonNode.Parse(printed)!["checked"]!);
    }

    [Fact]
    public void WithAGateTheReportSaysCheckedAndPassed()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(dir.File("images")).FullName);
        var (exit, _, _) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", ModelFixtures.MobileNet, "--data", images,
            "--max-accuracy-drop", "top1-agreement=1", "--report", dir.File("r"));
        Assert.Equal(ExitCodes.Success, exit);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("r/report.json")))!;
        Assert.True((bool)json["passed"]!);
        Assert.True((bool)json["checked"]!);
        Assert.StartsWith("# Validation: " + Path.GetFileName(ModelFixtures.MobileNet) + " passed", File.ReadAllText(dir.File("r/report.md")));
    }

    [Fact]
    public void A_folder_or_a_missing_file_is_refused_in_the_words_inspect_uses_before_anything_runs()
    {
        using var dir = TestPaths.NewTempDir();
        foreach (var args in new[] { ["bench", dir.Path], new[] { "validate", "--baseline", dir.Path, "--candidate", ModelFixtures.MobileNet }, ["inspect", dir.Path] })
        {
            var (exit, stdout, stderr) = Run(args);
            Assert.Equal(ExitCodes.InvalidInput, exit);
            Assert.Equal($"error: '{dir.Path}' is a folder, not an ONNX model file", stderr.Trim()); // one line, no "loading" first
            Assert.Equal("", stdout);
        }
        var missing = dir.File("missing.onnx");
        Assert.Equal($"error: model file '{missing}' does not exist", Run("bench", missing).Err.Trim());
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("tensorrt")]
    public void A_GPU_provider_this_build_lacks_is_one_line_saying_so(string provider)
    {
        var (exit, _, stderr) = Run("bench", ModelFixtures.MobileNet, "--runs", "1", "--warmup", "0", "--provider", provider);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: "));
        Assert.Equal($"error: --provider {provider}: this build of optimize is the cpu flavour, whose ONNX Runtime package has no {provider} execution provider " +
                     "(it has cpu); build the GPU flavour: dotnet publish src/Optimizer.Cli -c Release -p:OnnxRuntimeFlavour=gpu (or dotnet cake --target=PublishGpu)", line);
        Assert.DoesNotContain("entry point", stderr);
    }

    [Fact]
    public void Without_report_two_candidates_called_model_onnx_get_their_own_report_folders()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(dir.File("images")).FullName);
        foreach (var run in new[] { "a", "b" })
        {
            var candidate = Path.Combine(Directory.CreateDirectory(dir.File(run)).FullName, "model.onnx");
            File.Copy(ModelFixtures.MobileNet, candidate);
            Assert.Equal(ExitCodes.Success, Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", candidate, "--data", images).Exit);
        }
        Assert.True(File.Exists(dir.File("a/model.validate/report.json")));
        Assert.True(File.Exists(dir.File("b/model.validate/report.json")));
    }

    [Fact]
    public void Bench_says_when_it_repeats_the_data_to_fill_a_batch()
    {
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");
        var samples = Directory.GetFiles(data, "*.npy").Length;
        using var dir = TestPaths.NewTempDir();
        var (exit, _, stderr) = Run("bench", tinyCnn, "--data", data, "--batch", $"1,{samples},{samples + 1}", "--runs", "1", "--warmup", "0", "--report", dir.File("bench"));
        Assert.Equal(ExitCodes.Success, exit);
        var notes = stderr.Split('\n').Where(l => l.StartsWith("note: ", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"note: batch {samples + 1} repeats the data folder's {samples} sample(s) to fill it"], notes);
    }

    [Fact]
    public void Bench_with_a_baseline_times_both_in_one_run_and_gives_the_speedup_per_batch_with_its_interval()
    {
        using var dir = TestPaths.NewTempDir();
        // A model with mobilenet_v2's input that only pools it: far faster than the baseline.
        var builder = new GraphBuilder();
        var input = builder.Input("input", Optimizer.Onnx.IR.ElementType.Float, "batch", 3, 224, 224);
        builder.Output(builder.Op("Flatten", [builder.Op("GlobalAveragePool", [input])]));
        var tinyCnn = dir.File("pool.onnx");
        Optimizer.Onnx.Serialization.ModelWriter.Write(builder.Build(), tinyCnn);
        var (exit, stdout, stderr) = Run("bench", tinyCnn, "--baseline", ModelFixtures.MobileNet, "--runs", "12", "--warmup", "1", "--batch", "1,2", "--report", dir.File("r"), "--json");
        Assert.True(exit == ExitCodes.Success, stderr);
        using var report = System.Text.Json.JsonDocument.Parse(stdout);
        var root = report.RootElement;
        Assert.EndsWith("mobilenet_v2.onnx", root.GetProperty("baseline").GetProperty("model").GetString());
        Assert.EndsWith("pool.onnx", root.GetProperty("candidate").GetProperty("model").GetString());
        var speedups = root.GetProperty("speedups").EnumerateArray().ToList();
        Assert.Equal([1, 2], speedups.Select(s => s.GetProperty("batchSize").GetInt32()));
        foreach (var (s, i) in speedups.Select((s, i) => (s, i)))
        {
            var latency = s.GetProperty("latency");
            var (ratio, low, high) = (latency.GetProperty("ratio").GetDouble(), latency.GetProperty("low").GetDouble(), latency.GetProperty("high").GetDouble());
            Assert.True(low <= ratio && ratio <= high, $"{low} {ratio} {high}");
            Assert.Equal(12, latency.GetProperty("rounds").GetInt32());
            var (a, b) = (root.GetProperty("baseline").GetProperty("batches")[i], root.GetProperty("candidate").GetProperty("batches")[i]);
            Assert.Equal(a.GetProperty("latencyMs").GetProperty("p50").GetDouble() / b.GetProperty("latencyMs").GetProperty("p50").GetDouble(), ratio, 1e-9);
        }
        // One pooling against mobilenet_v2: surely faster, whatever else the machine does.
        Assert.True(speedups[0].GetProperty("latency").GetProperty("low").GetDouble() > 1);
        foreach (var file in new[] { "report.json", "report.md", "latency.csv", "comparison.png" })
            Assert.True(File.Exists(dir.File($"r/{file}")), file);
        Assert.Equal(1 + 2 * 2 * 12, File.ReadAllLines(dir.File("r/latency.csv")).Length); // header, both models, two batch sizes
    }

    [Fact]
    public void Bench_with_a_baseline_of_other_inputs_or_with_an_engine_is_refused()
    {
        using var dir = TestPaths.NewTempDir();
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var bert = Path.Combine(TestPaths.SharedModels, "bert_mini.onnx");
        var (exit, _, stderr) = Run("bench", tinyCnn, "--baseline", bert, "--runs", "2");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("both models run on the same inputs", stderr);
        (exit, _, stderr) = Run("bench", "--engine", dir.File("m.plan"), "--baseline", tinyCnn);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("--baseline compares two ONNX models", stderr);
    }

    [Fact]
    public void Bench_batch_auto_chooses_within_the_budget_and_writes_the_curve()
    {
        using var dir = TestPaths.NewTempDir();
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        // A budget far above tiny_cnn's batch-1 latency (about 0.2 ms), so that a loaded machine still finds one
        var (exit, stdout, stderr) = Run("bench", tinyCnn, "--batch", "auto", "--max-p95", "20", "--runs", "5", "--warmup", "1", "--report", dir.File("r"), "--json");
        Assert.True(exit == ExitCodes.Success, stderr);
        using var report = System.Text.Json.JsonDocument.Parse(stdout);
        var search = report.RootElement.GetProperty("search");
        var batches = report.RootElement.GetProperty("batches").EnumerateArray()
            .Select(b => (Size: b.GetProperty("batchSize").GetInt32(), P95: b.GetProperty("latencyMs").GetProperty("p95").GetDouble(), Throughput: b.GetProperty("throughputPerSecond").GetDouble()))
            .ToList();
        Assert.True(batches.Count >= 2);
        var chosen = search.GetProperty("chosen").GetInt32();
        var within = batches.Where(b => b.P95 <= 20).ToList();
        Assert.Equal(within.MaxBy(b => b.Throughput).Size, chosen); // the best throughput among the sizes within the budget
        Assert.True(File.Exists(dir.File("r/batch_search.png")));
    }

    [Fact]
    public void Bench_concurrency_reports_each_level_and_refuses_a_baseline()
    {
        using var dir = TestPaths.NewTempDir();
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var (exit, stdout, stderr) = Run("bench", tinyCnn, "--concurrency", "1,2", "--runs", "5", "--warmup", "1", "--report", dir.File("r"));
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("level  requests", stdout);
        Assert.Contains("## Concurrency", File.ReadAllText(dir.File("r/report.md")));
        Assert.True(File.Exists(dir.File("r/concurrency.png")));
        (exit, _, stderr) = Run("bench", tinyCnn, "--concurrency", "1,2", "--baseline", tinyCnn);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("--concurrency measures one ONNX model", stderr);
    }

    [Theory]
    [InlineData("--batch auto", "--batch auto needs --max-p95")]
    [InlineData("--max-p95 5", "--max-p95 goes with --batch auto")]
    [InlineData("--batch auto --max-p95 0", "--max-p95 must be a positive number")]
    public void Bench_batch_auto_refuses_what_it_cannot_search(string args, string message)
    {
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var (exit, _, stderr) = Run(["bench", tinyCnn, .. args.Split(' ')]);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Provider_auto_takes_the_best_that_loads_and_says_why_not_the_others()
    {
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var (exit, stdout, stderr) = Run("bench", tinyCnn, "--provider", "auto", "--runs", "2", "--warmup", "0", "--json");
        Assert.True(exit == ExitCodes.Success, stderr);
        // This test run links the CPU package: neither GPU provider is in it.
        Assert.Contains("--provider auto: cpu (tensorrt: not in the cpu flavour's ONNX Runtime package; cuda: not in the cpu flavour's ONNX Runtime package)", stderr);
        Assert.Contains("\"provider\": \"cpu\"", stdout);
    }

    [Fact]
    public void The_root_commands_provider_is_checked_before_anything_is_written_and_auto_runs_the_validation()
    {
        using var dir = TestPaths.NewTempDir();
        var tinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
        var data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");
        var (exit, _, stderr) = Run(tinyCnn, "-o", dir.File("cuda"), "--provider", "cuda", "--validate", data);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.StartsWith("error: --provider cuda: this build of optimize is the cpu flavour", stderr.Trim());
        Assert.False(Directory.Exists(dir.File("cuda")));

        (exit, _, stderr) = Run(tinyCnn, "-o", dir.File("auto"), "--provider", "auto", "--validate", data);
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("--provider auto: cpu (", stderr);
        Assert.True(File.Exists(dir.File("auto/validation/report.json")));
    }

    [Fact]
    public void ValidateOnItselfExitsZero()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(dir.Path);
        var (exit, stdout, _) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", ModelFixtures.MobileNet, "--data", images,
            "--max-accuracy-drop", "top1-agreement=1", "--max-accuracy-drop", "max-abs=0", "--report", dir.File("r"), "--json");
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("\"top1Agreement\": 1", stdout);
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("r/report.json")));
        var gates = report.RootElement.GetProperty("gates").EnumerateArray()
            .Select(g => (g.GetProperty("gate").GetString(), g.GetProperty("actual").GetDouble(), g.GetProperty("passed").GetBoolean())).ToList();
        Assert.Equal([("top1-agreement", 1.0, true), ("max-abs", 0.0, true)], gates);
    }

    [Fact]
    public void AgainstAStoredReportRunsOnlyTheCandidate()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(dir.File("images")).FullName);
        Assert.Equal(ExitCodes.Success, Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", ModelFixtures.MobileNet, "--data", images, "--report", dir.File("release")).Exit);
        var (exit, stdout, _) = Run("validate", "--against", dir.File("release/report.json"), "--candidate", ModelFixtures.MobileNet, "--data", images,
            "--max-accuracy-drop", "top5-agreement=1", "--report", dir.File("now"));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("release/report.json", stdout);
        Assert.Contains("PASS gate top5-agreement >= 1", stdout);
        (exit, _, var stderr) = Run("validate", "--candidate", ModelFixtures.MobileNet, "--data", images);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("--baseline", stderr);
    }

    [Fact]
    public void BadDataExitsTwoWithOneLineNamingTheFile()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("sample_0.npy"), "garbage");
        var (exit, _, stderr) = Run("validate", "--baseline", ModelFixtures.MobileNet, "--candidate", ModelFixtures.MobileNet, "--data", dir.Path, "--report", dir.File("r"));
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("sample_0.npy", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(dir.File("r/report.json")));
        Assert.Empty(Directory.Exists(dir.File("r")) ? Directory.GetFiles(dir.File("r")) : []);

        var empty = Directory.CreateDirectory(dir.File("empty")).FullName;
        (exit, _, stderr) = Run("bench", ModelFixtures.MobileNet, "--data", empty, "--runs", "1");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("empty", stderr);
    }

    [Fact]
    public void BenchWritesItsReportAndPrintsPlainProgressWhenRedirected()
    {
        using var dir = TestPaths.NewTempDir();
        var (exit, stdout, stderr) = Run("bench", ModelFixtures.MobileNet, "--warmup", "1", "--runs", "3", "--batch", "1,2", "--threads", "1", "--report", dir.File("bench"));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("batch 2: timed", stderr);
        Assert.Contains("samples/s", stdout);
        Assert.True(File.Exists(dir.File("bench/latency_vs_batch.png")));
        Assert.Equal(1 + 6, File.ReadAllLines(dir.File("bench/latency.csv")).Length);
        (exit, _, stderr) = Run("bench", ModelFixtures.MobileNet, "--batch", "1,x");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("--batch", stderr);
    }

    [Fact]
    public void BenchRunsAtTheGraphOptimizationLevelAskedForAndSaysWhichInItsReport()
    {
        using var dir = TestPaths.NewTempDir();
        var (exit, _, stderr) = Run("bench", ModelFixtures.MobileNet, "--warmup", "0", "--runs", "2", "--graph-optimization", "basic", "--report", dir.File("basic"));
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("graph optimizations basic", File.ReadAllText(dir.File("basic/report.json")));
        (exit, _, stderr) = Run("bench", ModelFixtures.MobileNet, "--graph-optimization", "most");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("'basic'", stderr);
    }
}
