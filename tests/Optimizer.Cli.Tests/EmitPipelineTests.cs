using Optimizer.Cli.Commands;
using Optimizer.Cli.Pipeline;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--emit-pipeline FILE</c>: the written file gives back the same command line (<c>optimize run FILE --dry-run</c>
/// prints it) and the same outputs, for every key the file can hold; a refused command line writes no file.
/// </summary>
public class EmitPipelineTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data");

    [Fact]
    public void TheEmittedFileRunsTheSameCommandLineAndWritesTheSameOutputs()
    {
        using var dir = TestPaths.NewTempDir();
        File.Copy(TinyCnn, dir.File("tiny cnn.onnx"));
        // The options in the key table's order, paths absolute: the form a pipeline job's command line takes.
        string[] line =
        [
            dir.File("tiny cnn.onnx"), "-o", dir.File("out/from-line"), "--passes", "fold-constants,fuse-batchnorm", "--shapes", "input:1x3x64x64",
            "--quantize", "int8", "--calibrate", Path.Combine(Data, "calib"), "--calibration-method", "percentile", "--percentile", "99.9",
            "--exclude", "Softmax", "--validate", Path.Combine(Data, "validate"), "--max-accuracy-drop", "cosine=0.99", "--min-speedup", "0.01",
        ];

        var direct = CliRunner.Run([.. line, "--emit-pipeline", dir.File("pipelines/emitted.yaml")]);
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        var yaml = File.ReadAllText(dir.File("pipelines/emitted.yaml"));
        Assert.Contains("model: '../tiny cnn.onnx'\n", yaml); // relative to the file, quoted where YAML needs it

        var dry = CliRunner.Run("run", dir.File("pipelines/emitted.yaml"), "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Equal(RunCommand.CommandLine(line) + "\n", dry.Stdout);

        // Run from the file into another folder (the only change): the same model and calibration.
        File.WriteAllText(dir.File("pipelines/emitted.yaml"), yaml.Replace("output: ../out/from-line", "output: ../out/from-file"));
        var run = CliRunner.Run("run", dir.File("pipelines/emitted.yaml"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        foreach (var file in new[] { "model.onnx", "calibration.json" })
            Assert.Equal(File.ReadAllBytes(dir.File($"out/from-line/{file}")), File.ReadAllBytes(dir.File($"out/from-file/{file}")));
    }

    [Fact]
    public void EveryKeyOfTheFileComesBackAsTheOptionItWasWrittenFrom()
    {
        using var dir = TestPaths.NewTempDir();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] line =
        [
            dir.File("models/m.onnx"), "-o", dir.File("out dir"),
            "--passes", "fold-constants,eliminate-dead-code", "--no-fuse", "--opset", "17", "--shapes", "input:1x3x64x64,mask:1x8", "--explain", "--verify", "--provider", "cuda",
            "--device", "1", "--provider-option=cudnn_conv_algo_search=HEURISTIC", "--provider-option=use_tf32=0", "--cache", dir.File("cache"), "--threads", "2",
            "--quantize", "int8", "--calibrate", dir.File("calib"), "--calibration-method", "entropy", "--percentile", "99.9",
            "--calibration-samples", "64", "--calibration-table", dir.File("table.json"), "--target", "tensorrt", "--activations", "static", "--per-tensor", "--exclude", "Softmax,head",
            "--smooth-quant", "0.5", "--keep-io-types", "--no-keep-io-types",
            "--prune", "structured", "--prune-norm", "l1", "--prune-threshold", "0.01", "--prune-amount", "0.3", "--prune-scope", "global",
            "--prune-pattern", "2:4", "--prune-max-per-layer", "0.5", "--prune-channel-multiple", "8", "--bias-correction", "--weight-rounding", "gptq", "--cross-layer-equalization", "off",
            "--validate", dir.File("data"), "--max-accuracy-drop", "cosine=0.9999", "--max-accuracy-drop", "top1-agreement=0.99",
            "--min-speedup", "1.0", "--junit", dir.File("gates.xml"), "--feed-back", "stateN=state",
            "--engine", "--engine-precision", "fp16", "--engine-shapes", "input:1x3x224x224", "--engine-min-shapes", "input:1x3x64x64",
            "--engine-opt-shapes", "input:1x3x128x128", "--engine-max-shapes", "input:1x3x256x256", "--engine-cache", Path.Combine(home, ".cache/engines"),
            "--require-int8", "--trtexec", "/usr/src/tensorrt/bin/trtexec", "--trtexec-arg=--useCudaGraph", "--trtexec-arg=--noDataTransfers",
            "--engine-workspace", "1024", "--engine-optimization-level", "5", "--engine-device", "1", "--engine-iterations", "20",
            "--engine-duration", "2.5", "--engine-skip-inference", "--engine-timeout", "600", "--engine-calibration-cache", dir.File("cal.cache"),
            "--emit", "triton", dir.File("repo"), "--triton-name", "resnet", "--triton-max-batch", "8", "--triton-batch-from", dir.File("bench/report.json"),
        ];
        var parse = CommandLineApp.BuildRoot().Parse(line);
        Assert.Empty(parse.Errors);
        // Every option the pipeline file can hold is in the line above, once.
        var options = PipelineFile.Keys.SelectMany(k => k.Keys ?? []).Concat(PipelineFile.Keys).Select(k => k.Option).OfType<string>().ToList();
        Assert.All(options, o => Assert.Contains(o, string.Join(" ", line)));

        Directory.CreateDirectory(dir.File("p"));
        File.WriteAllText(dir.File("p/all.yaml"), PipelineEmitter.Yaml(parse, line[0], dir.File("p")));
        var job = Assert.Single(PipelineFile.Read(dir.File("p/all.yaml"), "all.yaml"));

        Assert.Equal(line, job.Arguments);
    }

    [Fact]
    public void EveryOptionOfTheRootCommandIsAKeyOrSaidToBeNoPartOfAJob()
    {
        // An option written with a word after it ("--emit triton") is the option before the space.
        var keys = PipelineFile.Keys.SelectMany(k => k.Keys ?? []).Concat(PipelineFile.Keys).Select(k => k.Option?.Split(' ')[0]).OfType<string>().ToHashSet();
        var root = CommandLineApp.BuildRoot();
        var missing = root.Options.Where(o => o.Name is not ("--help" or "--version") && !o.Aliases.Append(o.Name).Any(keys.Contains) && !PipelineEmitter.NotInJobs.Contains(o.Name))
            .Select(o => o.Name).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void AFileThatCannotBeWrittenIsRefusedBeforeTheRun()
    {
        using var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("taken"));
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--emit-pipeline", dir.File("taken"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --emit-pipeline: {dir.File("taken")} is a folder; give the pipeline file's path", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void ARefusedCommandLineWritesNoFile()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--passes", "no-such-pass", "--emit-pipeline", dir.File("p.yaml"));

        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists(dir.File("p.yaml")));
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void CommaSeparatedGatesAreWrittenAsOneKeyEach()
    {
        using var dir = TestPaths.NewTempDir();
        string[] line = [TinyCnn, "-o", dir.File("out"), "--validate", dir.File("data"), "--max-accuracy-drop", "min-cosine=0.99, top5-agreement=0.9"];
        var parse = CommandLineApp.BuildRoot().Parse(line);
        File.WriteAllText(dir.File("p.yaml"), PipelineEmitter.Yaml(parse, line[0], dir.Path));
        var job = Assert.Single(PipelineFile.Read(dir.File("p.yaml"), "p.yaml"));

        var gates = job.Arguments.Select((a, i) => (a, i)).Where(x => x.a == "--max-accuracy-drop").Select(x => job.Arguments[x.i + 1]).ToList();
        Assert.Equal(["min-cosine=0.99", "top5-agreement=0.9"], gates);
    }
}
