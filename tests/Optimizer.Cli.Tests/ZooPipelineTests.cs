using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A pipeline file over many models: <c>defaults:</c> merged under each job, a glob <c>model:</c> that becomes one job
/// per file (named by its model), and <c>{model}</c> in paths, so each model gets its own output, data and gates.
/// </summary>
public class ZooPipelineTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    private static TempDir Zoo(string yaml)
    {
        var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("m/sub"));
        foreach (var model in new[] { "m/b.onnx", "m/a.onnx", "m/sub/c.onnx", "m/notes.txt" }) File.Copy(TinyCnn, dir.File(model));
        File.WriteAllText(dir.File("zoo.yaml"), yaml);
        return dir;
    }

    [Fact]
    public void AGlobBecomesOneJobPerModelInOrderWithTheDefaultsUnderEach()
    {
        using var dir = Zoo("""
            defaults:
              output: out/{model}
              quantize: int8
              calibrate: data/{model}/calib
              validate:
                data: data/{model}/val
                max-accuracy-drop: {cosine: 0.99}
            jobs:
              - model: m/*.onnx
              - name: deep-{model}
                model: m/**/c.onnx
                validate: {min-speedup: 0.5}
              - name: half
                model: m/a.onnx
                output: out/a-half
                quantize: fp16
                engine: true
            """);

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--dry-run");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string Job(string name, string model, string stem, string more = "", string quantize = "int8", string output = "") =>
            $"# job {name}\noptimize {dir.File(model)} -o {dir.File(output == "" ? "out/" + stem : output)} --quantize {quantize} --calibrate {dir.File($"data/{stem}/calib")} "
            + $"--validate {dir.File($"data/{stem}/val")} --max-accuracy-drop cosine=0.99{more}\n";
        Assert.Equal(
            Job("a", "m/a.onnx", "a") + Job("b", "m/b.onnx", "b") + Job("deep-c", "m/sub/c.onnx", "c", " --min-speedup 0.5")
            + Job("half", "m/a.onnx", "a", " --engine", "fp16", "out/a-half"),
            result.Stdout);
    }

    [Fact]
    public void AZooRunsEachModelAsItsOwnCommandLine()
    {
        using var dir = Zoo("""
            defaults:
              output: out/{model}
              passes: [fold-constants, fuse-batchnorm]
            jobs:
              - model: m/[ab].onnx
            """);

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));
        var direct = CliRunner.Run(dir.File("m/a.onnx"), "-o", dir.File("direct"), "--passes", "fold-constants,fuse-batchnorm");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        Assert.Contains("job a: optimize", result.Stderr);
        Assert.Contains("job b: optimize", result.Stderr);
        Assert.Equal(File.ReadAllBytes(dir.File("direct/model.onnx")), File.ReadAllBytes(dir.File("out/a/model.onnx")));
        Assert.Equal(File.ReadAllBytes(dir.File("direct/model.onnx")), File.ReadAllBytes(dir.File("out/b/model.onnx")));
        Assert.False(Directory.Exists(dir.File("out/c")));
    }

    [Fact]
    public void AJobsOwnMappingsMergeOverTheDefaultsKeyByKeyAndEngineFalseDropsTheStep()
    {
        using var dir = Zoo("""
            defaults:
              engine:
                precision: fp16
                workspace: 512
            jobs:
              - name: more
                model: m/a.onnx
                engine: {workspace: 1024, iterations: 3}
              - name: none
                model: m/b.onnx
                engine: false
            """);

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--dry-run");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"optimize {dir.File("m/a.onnx")} --engine --engine-precision fp16 --engine-workspace 1024 --engine-iterations 3\n", result.Stdout);
        Assert.Contains($"optimize {dir.File("m/b.onnx")}\n", result.Stdout);
    }

    [Fact]
    public void AFileWithoutDefaultsOrGlobsReadsAsBefore()
    {
        using var dir = Zoo($"model: m/a.onnx\noutput: out/{{model}}-plain\nverify: true\n");

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--dry-run");

        Assert.Equal($"optimize {dir.File("m/a.onnx")} -o {dir.File("out/a-plain")} --verify\n", result.Stdout);
    }

    public static TheoryData<string, int, string> Refusals => new()
    {
        { "jobs:\n  - model: m/z*.onnx\n", 2, "model: 'm/z*.onnx' matches no file" },
        { "defaults:\n  model: m/a.onnx\njobs:\n  - name: a\n    model: m/a.onnx\n", 2, "defaults.model: each job gives its own" },
        { "defaults:\n  verfy: true\njobs:\n  - name: a\n    model: m/a.onnx\n", 2, "defaults.verfy: unknown key" },
        { "defaults: [a]\njobs:\n  - name: a\n    model: m/a.onnx\n", 1, "defaults: expected a mapping of job keys" },
        { "defaults:\n  verify: true\nmodel: m/a.onnx\n", 1, "defaults: goes with 'jobs:'" },
        { "output: out\njobs:\n  - name: a\n    model: m/a.onnx\n", 1, "output: a file with 'jobs:' has no other top-level keys than 'defaults:'" },
        { "jobs:\n  - model: m/*.onnx\n  - model: m/sub/*.onnx\n  - model: m/[a].onnx\n", 4, "name: a second job named 'a'" },
        { "defaults:\n  validate:\n    min-speedup: 2\njobs:\n  - name: a\n    model: m/a.onnx\n", 5, "validate.data: missing" },
        { "jobs:\n  - name: fixed\n    model: m/*.onnx\n", 2, "name: a second job named 'fixed'" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void AZooThatCannotRunIsRefusedWithItsLineBeforeAnyJob(string yaml, int line, string message)
    {
        using var dir = Zoo(yaml);

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));

        Assert.True(result.ExitCode == 2, result.Stderr);
        Assert.StartsWith($"error: {dir.File("zoo.yaml")}:{line}: {message}", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
