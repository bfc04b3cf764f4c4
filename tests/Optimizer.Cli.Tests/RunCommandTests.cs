using System.Text.Json;
using System.Text.Json.Nodes;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize run PIPELINE.yaml</c>: a job means what the same options mean on the command line (the same model, the
/// same manifest), a file that is not a pipeline is refused with its line and key, and with --fail-fast a failed job
/// stops the rest (without it, a zoo runs on: tests/Optimizer.Cli.Tests/Zoo).
/// </summary>
public class RunCommandTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Fact]
    public void TheShippedPipelineWritesWhatTheSameCommandLineWrites()
    {
        // The shipped file as it is, in a copy of the checkout's layout (pipelines/ beside models/), so its relative
        // paths hold and its output lands in the temp folder, not in the repository.
        using var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("pipelines"));
        Directory.CreateDirectory(dir.File("models"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "pipelines", "tiny_cnn.yaml"), dir.File("pipelines/tiny_cnn.yaml"));
        File.Copy(TinyCnn, dir.File("models/tiny_cnn.onnx"));

        var run = CliRunner.Run("run", dir.File("pipelines/tiny_cnn.yaml"));
        var direct = CliRunner.Run(dir.File("models/tiny_cnn.onnx"), "-o", dir.File("direct"), "--verify");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        var fromPipeline = dir.File("out/tiny_cnn");
        Assert.Equal(File.ReadAllBytes(dir.File("direct/model.onnx")), File.ReadAllBytes(Path.Combine(fromPipeline, "model.onnx")));
        var options = ManifestOptions(fromPipeline);
        var directOptions = ManifestOptions(dir.File("direct"));
        Assert.Equal(fromPipeline, (string?)options["outDir"]);
        options.Remove("outDir");
        directOptions.Remove("outDir");
        Assert.Equal(directOptions.ToJsonString(), options.ToJsonString());
        Assert.True((bool)options["verify"]!);
    }

    [Fact]
    public void TheShippedInt8PipelineWritesWhatTheReadmesMainCommandWrites()
    {
        using var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("pipelines"));
        Directory.CreateDirectory(dir.File("models"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "pipelines", "tiny_cnn_int8.yaml"), dir.File("pipelines/tiny_cnn_int8.yaml"));
        File.Copy(TinyCnn, dir.File("models/tiny_cnn.onnx"));
        var data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data");

        var run = CliRunner.Run("run", dir.File("pipelines/tiny_cnn_int8.yaml"), "--dry-run");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("--quantize int8 --calibrate", run.Stdout);
        // The dry run names the data beside the copied pipeline; the real run uses the checkout's own.
        foreach (var sub in new[] { "calib", "validate" })
        {
            Directory.CreateDirectory(dir.File($"models/tiny_cnn_data/{sub}"));
            foreach (var f in Directory.GetFiles(Path.Combine(data, sub))) File.Copy(f, dir.File($"models/tiny_cnn_data/{sub}/{Path.GetFileName(f)}"));
        }
        run = CliRunner.Run("run", dir.File("pipelines/tiny_cnn_int8.yaml"));
        var direct = CliRunner.Run(dir.File("models/tiny_cnn.onnx"), "-o", dir.File("direct"), "--quantize", "int8",
            "--calibrate", dir.File("models/tiny_cnn_data/calib"), "--validate", dir.File("models/tiny_cnn_data/validate"),
            "--max-accuracy-drop", "cosine=0.999");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        Assert.Equal(File.ReadAllBytes(dir.File("direct/model.onnx")), File.ReadAllBytes(dir.File("out/tiny_cnn_int8/model.onnx")));
        Assert.Equal(File.ReadAllText(dir.File("direct/calibration.json")), File.ReadAllText(dir.File("out/tiny_cnn_int8/calibration.json")));
    }

    [Fact]
    public void PerTensorFalseInAFileKeepsWeightsPerChannelWhereNotGivenWouldTryPerTensor()
    {
        using var dir = TestPaths.NewTempDir();
        var held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");
        string Job(string name, string? perTensor) =>
            $"model: {TinyCnn}\noutput: {dir.File(name)}\nquantize: int8\nvalidate:\n  data: {held}\n  max-accuracy-drop: {{cosine: 0.99}}\n"
            + (perTensor is null ? "" : $"per-tensor: {perTensor}\n");
        File.WriteAllText(dir.File("false.yaml"), Job("false", "false"));
        File.WriteAllText(dir.File("unset.yaml"), Job("unset", null));
        // without --quantize, per-tensor: false asks for the default and is not out of place
        File.WriteAllText(dir.File("plain.yaml"), $"model: {TinyCnn}\noutput: {dir.File("plain")}\nper-tensor: false\n");

        var dry = CliRunner.Run("run", dir.File("false.yaml"), "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("--per-tensor false", dry.Stdout);
        var off = CliRunner.Run("run", dir.File("false.yaml"));
        var unset = CliRunner.Run("run", dir.File("unset.yaml"));
        var plain = CliRunner.Run("run", dir.File("plain.yaml"));

        Assert.True(off.ExitCode == 0, off.Stderr);
        Assert.DoesNotContain("weights per", off.Stderr);
        Assert.True(unset.ExitCode == 0, unset.Stderr);
        Assert.Contains("weights per tensor hold the accuracy budget", unset.Stderr);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
    }

    [Fact]
    public void DryRunPrintsTheCommandLineOfAFileThatUsesEveryKey()
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("all.yaml");
        File.WriteAllText(file, """
            name: everything
            model: models/m.onnx
            output: out dir
            passes: [fold-constants, eliminate-dead-code]
            no-fuse: true
            opset: 17
            shapes: {input: 1x3x64x64, mask: 1x8}
            explain: true
            verify: true
            quantize: int8
            calibrate: ../calib
            calibration-method: entropy
            percentile: 99.9
            calibration-samples: 64
            calibration-table: table.json
            target: tensorrt
            per-tensor: true
            exclude: Softmax,head
            validate:
              data: ../data
              max-accuracy-drop: {cosine: 0.9999, top1-agreement: 0.99}
              min-speedup: 1.0
              junit: gates.xml
            engine:
              precision: fp16
              shapes: "input:1x3x224x224"
              min-shapes: {input: 1x3x64x64}
              opt-shapes: {input: 1x3x128x128}
              max-shapes: {input: 1x3x256x256}
              cache: ~/.cache/engines
              require-int8: true
              trtexec: /usr/src/tensorrt/bin/trtexec
              trtexec-args: [--useCudaGraph, --noDataTransfers]
              workspace: 1024
              optimization-level: 5
              device: 1
              iterations: 20
              duration: 2.5
              skip-inference: true
              timeout: 600
              calibration-cache: cal.cache
            """);

        var result = CliRunner.Run("run", file, "--dry-run", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var parent = Path.GetDirectoryName(dir.Path)!;
        string[] expected =
        [
            "optimize", dir.File("models/m.onnx"), "-o", $"'{dir.File("out dir")}'",
            "--passes", "fold-constants,eliminate-dead-code", "--no-fuse", "--opset", "17", "--shapes", "input:1x3x64x64,mask:1x8", "--explain", "--verify",
            "--quantize", "int8", "--calibrate", Path.Combine(parent, "calib"), "--calibration-method", "entropy", "--percentile", "99.9",
            "--calibration-samples", "64", "--calibration-table", dir.File("table.json"), "--target", "tensorrt", "--per-tensor", "--exclude", "Softmax,head",
            "--validate", Path.Combine(parent, "data"), "--max-accuracy-drop", "cosine=0.9999", "--max-accuracy-drop", "top1-agreement=0.99",
            "--min-speedup", "1.0", "--junit", dir.File("gates.xml"),
            "--engine", "--engine-precision", "fp16", "--engine-shapes", "input:1x3x224x224", "--engine-min-shapes", "input:1x3x64x64",
            "--engine-opt-shapes", "input:1x3x128x128", "--engine-max-shapes", "input:1x3x256x256", "--engine-cache", Path.Combine(home, ".cache/engines"),
            "--require-int8", "--trtexec", "/usr/src/tensorrt/bin/trtexec", "--trtexec-arg=--useCudaGraph", "--trtexec-arg=--noDataTransfers",
            "--engine-workspace", "1024", "--engine-optimization-level", "5", "--engine-device", "1", "--engine-iterations", "20",
            "--engine-duration", "2.5", "--engine-skip-inference", "--engine-timeout", "600", "--engine-calibration-cache", dir.File("cal.cache"),
            "--json",
        ];
        Assert.Equal(string.Join(" ", expected) + "\n", result.Stdout);
        Assert.Equal("", result.Stderr);
        Assert.False(Directory.Exists(dir.File("out dir")));

        // Every option the file can produce is one the root command knows: the same parser reads the line without a complaint.
        var job = Assert.Single(Optimizer.Cli.Pipeline.PipelineFile.Read(file, file));
        Assert.Empty(CommandLineApp.BuildRoot().Parse([.. job.Arguments]).Errors);
    }

    public static TheoryData<string, string, int, string> Refusals => new()
    {
        { "unknown key", "model: m.onnx\noutput: out\nverfy: true\n", 3, "verfy: unknown key" },
        { "unknown nested key", "model: m.onnx\noutput: out\nengine:\n  precision: fp16\n  cach: /tmp\n", 5, "engine.cach: unknown key" },
        { "flag of the wrong kind", "model: m.onnx\noutput: out\nverify: yes please\n", 3, "verify: expected true or false" },
        { "number of the wrong kind", "model: m.onnx\noutput: out\nopset: seventeen\n", 3, "opset: expected a whole number" },
        { "list for a mapping", "model: m.onnx\noutput: out\nvalidate: [a, b]\n", 3, "validate: expected a mapping" },
        { "mapping for a string", "model: m.onnx\noutput: out\nengine:\n  precision: {a: b}\n", 4, "engine.precision: expected a string" },
        { "syntax error", "model: m.onnx\noutput: out\n  verify: true\n", 3, "not valid YAML" },
        { "unclosed list", "model: m.onnx\noutput: out\npasses: [a, b\nverify: true\n", 3, "not valid YAML" },
        { "missing model", "output: out\nverify: true\n", 1, "model: missing" },
        { "empty file", "", 1, "the file is empty" },
        { "only comments", "# nothing yet\n", 1, "the file is empty" },
        { "a job without a name", "jobs:\n  - name: a\n    model: m.onnx\n    output: out\n  - model: m.onnx\n", 5, "name: missing" },
        { "a bad key in a later job", "jobs:\n  - name: a\n    model: m.onnx\n    output: out\n  - name: b\n    model: m.onnx\n    opset: [17]\n", 7, "opset: expected a whole number" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void AFileThatIsNotAPipelineIsRefusedWithItsLineAndKey(string what, string yaml, int line, string message)
    {
        using var dir = TestPaths.NewTempDir();
        File.Copy(TinyCnn, dir.File("m.onnx"));
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, yaml);

        var result = CliRunner.Run("run", file);

        Assert.True(result.ExitCode == 2, $"{what}: exit {result.ExitCode}, {result.Stderr}");
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {file}:{line}: {message}", error);
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(dir.File("out")), $"{what}: nothing may be written");
    }

    [Fact]
    public void ABadValueIsRefusedByTheRootCommandAndTheMessageNamesTheJob()
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, $"jobs:\n  - name: typo\n    model: {TinyCnn}\n    output: out\n    passes: [fold-constants, no-such-pass]\n");

        var result = CliRunner.Run("run", file);

        Assert.Equal(2, result.ExitCode);
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("error: ")).ToList();
        Assert.Equal($"error: {file}:2: job typo: --passes: unknown pass 'no-such-pass'", Assert.Single(errors).Split(';')[0]);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void WithFailFastAJobThatFailsAGateStopsThePipelineWithItsExitCode()
    {
        using var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("images"));
        foreach (var image in new[] { "astronaut.png", "camera.png", "coins.png" })
            File.Copy(Path.Combine(TestPaths.SharedModels, "images", image), dir.File($"images/{image}"));
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, $$"""
            jobs:
              - name: gated
                model: {{TinyCnn}}
                output: out/gated
                validate: {data: images, min-speedup: 1000}
              - name: after
                model: {{TinyCnn}}
                output: out/after
            """);

        var result = CliRunner.Run("run", file, "--fail-fast");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"job gated: optimize {TinyCnn} -o {dir.File("out/gated")} --validate {dir.File("images")} --min-speedup 1000\n", result.Stderr);
        Assert.Contains("gate speedup >= 1000 failed", result.Stderr);
        Assert.Contains("job gated: exit code 1; not running after\n", result.Stderr);
        Assert.DoesNotContain("job after:", result.Stderr);
        Assert.True(File.Exists(dir.File("out/gated/model.onnx")));
        Assert.False(Directory.Exists(dir.File("out/after")));
    }

    [Fact]
    public void JobsRunInOrderAndDryRunNamesEach()
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, $"jobs:\n  - name: plain\n    model: {TinyCnn}\n    output: a\n    passes: none\n  - name: fused\n    model: {TinyCnn}\n    output: b\n");

        var dry = CliRunner.Run("run", file, "--dry-run");
        Assert.Equal($"# job plain\noptimize {TinyCnn} -o {dir.File("a")} --passes none\n# job fused\noptimize {TinyCnn} -o {dir.File("b")}\n", dry.Stdout);
        Assert.False(Directory.Exists(dir.File("a")));

        var result = CliRunner.Run("run", file, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(File.ReadAllBytes(TinyCnn), File.ReadAllBytes(dir.File("a/model.onnx")));
        Assert.True(File.Exists(dir.File("b/model.onnx")));
        Assert.True(result.Stderr.IndexOf("job plain:", StringComparison.Ordinal) < result.Stderr.IndexOf("job fused:", StringComparison.Ordinal));
    }

    private static JsonObject ManifestOptions(string outDir)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")));
        return JsonNode.Parse(manifest.RootElement.GetProperty("options").GetRawText())!.AsObject();
    }
}
