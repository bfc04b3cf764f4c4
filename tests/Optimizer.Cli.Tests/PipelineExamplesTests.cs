using Optimizer.Cli.Pipeline;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Every example in <c>pipelines/</c> runs as shipped, in a copy of the checkout's layout (pipelines/ beside models/),
/// and each of its jobs writes what its command line writes. Examples with an engine run against the trtexec double in
/// Optimizer.TensorRt.Tests (PipelineEngineExampleTests).
/// </summary>
public class PipelineExamplesTests
{
    public static IEnumerable<object[]> Examples() =>
        Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "pipelines"), "*.yaml").Order(StringComparer.Ordinal)
            .Where(f => !File.ReadAllLines(f).Any(l => l.StartsWith("engine:", StringComparison.Ordinal) || l.Contains(" engine:", StringComparison.Ordinal)))
            .Select(f => new object[] { Path.GetFileName(f) });

    [Fact]
    public void ThereIsAnExampleOfEachKindOfJob()
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "pipelines"), "*.yaml").Select(Path.GetFileName).ToHashSet();
        Assert.Superset(new HashSet<string?> { "tiny_cnn_int8.yaml", "tiny_cnn_trt_int8.yaml", "tiny_cnn_fp16.yaml", "tiny_cnn_prune_int8.yaml", "zoo.yaml" }, files);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void TheExampleRunsAndEachJobWritesWhatItsCommandLineWrites(string example)
    {
        using var dir = TestPaths.NewTempDir();
        var file = Checkout(dir, example);

        var run = CliRunner.Run("run", file);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var jobs = PipelineFile.Read(file, example);
        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            var args = job.Arguments.ToArray();
            var output = Array.IndexOf(args, "-o") + 1;
            Assert.True(output > 0, $"{example}: job {job.Name} names its output folder");
            var written = args[output];
            Assert.StartsWith(dir.Path, written); // inside the copy, not the repository
            args[output] = dir.File($"direct/{job.Name ?? "job"}");
            var direct = CliRunner.Run(args);
            Assert.True(direct.ExitCode == 0, direct.Stderr);
            Assert.Equal(File.ReadAllBytes(Path.Combine(args[output], "model.onnx")), File.ReadAllBytes(Path.Combine(written, "model.onnx")));
        }
    }

    /// <summary>pipelines/EXAMPLE and models/ copied into <paramref name="dir"/>, so the example's outputs land there.</summary>
    internal static string Checkout(TempDir dir, string example)
    {
        Directory.CreateDirectory(dir.File("pipelines"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "pipelines", example), dir.File($"pipelines/{example}"));
        var models = Path.Combine(TestPaths.RepoRoot, "models");
        foreach (var source in Directory.GetFiles(models, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(models, source);
            if (relative.Split('/').Any(p => p.EndsWith(".opt", StringComparison.Ordinal))) continue; // a local run's output
            Directory.CreateDirectory(Path.GetDirectoryName(dir.File($"models/{relative}"))!);
            File.Copy(source, dir.File($"models/{relative}"));
        }
        return dir.File($"pipelines/{example}");
    }
}
