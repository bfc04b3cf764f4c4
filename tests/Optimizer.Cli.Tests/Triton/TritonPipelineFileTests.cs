using Inference;
using Optimizer.Cli.Pipeline;
using Optimizer.Cli.Triton;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Triton;

/// <summary>The pipeline file's <c>triton:</c> keys become the root command's --emit triton options, and a run writes the model folder.</summary>
public sealed class TritonPipelineFileTests
{
    private static string TinyCnn => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Fact]
    public void The_triton_keys_become_the_emit_options_with_paths_relative_to_the_file()
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, """
            model: m.onnx
            output: out
            triton:
              repository: models
              name: classifier
              max-batch: 16
              batch-from: bench/report.json
            """);

        var job = Assert.Single(PipelineFile.Read(file, file));

        Assert.Equal([dir.File("m.onnx"), "-o", dir.File("out"), "--emit", "triton", dir.File("models"), "--triton-name", "classifier",
            "--triton-max-batch", "16", "--triton-batch-from", dir.File("bench/report.json")], job.Arguments);
        Assert.Empty(CommandLineApp.BuildRoot().Parse([.. job.Arguments]).Errors);
    }

    [Fact]
    public void A_triton_section_without_a_repository_is_refused_with_its_line()
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, "model: m.onnx\noutput: out\ntriton:\n  name: classifier\n");

        var result = CliRunner.Run("run", file);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {file}:4: triton.repository: missing", result.Stderr);
    }

    [Fact]
    public void Running_the_file_writes_the_model_folder()
    {
        using var dir = TestPaths.NewTempDir();
        File.Copy(TinyCnn, dir.File("tiny_cnn.onnx"));
        var file = dir.File("pipeline.yaml");
        File.WriteAllText(file, "model: tiny_cnn.onnx\noutput: out\ntriton:\n  repository: repo\n  max-batch: 2\n");

        var result = CliRunner.Run("run", file);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = ProtoTextReader.Parse<ModelConfig>(File.ReadAllText(dir.File("repo/tiny_cnn/config.pbtxt")));
        Assert.Equal(2, config.MaxBatchSize);
        Assert.True(File.Exists(dir.File("repo/tiny_cnn/1/model.onnx")));
    }
}
