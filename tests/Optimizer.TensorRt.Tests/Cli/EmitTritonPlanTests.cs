using Inference;
using Optimizer.Cli;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// <c>optimize MODEL --engine --emit triton REPO</c> with the fake trtexec: the plan is what Triton serves
/// (tensorrt_plan on a GPU), batching follows the engine's optimization profile, and a failed build leaves REPO as it was.
/// </summary>
public sealed class EmitTritonPlanTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private string Out => _dir.File("out");
    private string Repo => _dir.File("repo");

    private (int Code, string Stdout, string Stderr) Run(string? fault, params string[] extra)
    {
        var model = _dir.File("tiny.onnx");
        if (!File.Exists(model)) File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), model);
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34", fault);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run([model, "-o", Out, "--engine", "--trtexec", trtexec, "--engine-skip-inference", "--emit", "triton", Repo, .. extra], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private ModelConfig Config() => ProtoTextReader.Parse<ModelConfig>(File.ReadAllText(Path.Combine(Repo, "tiny", TritonRepository.ConfigFileName)));

    [Fact]
    public void A_profile_from_batch_1_batches_up_to_its_largest_batch()
    {
        var (code, stdout, stderr) = Run(null, "--engine-min-shapes", "input:1x3x64x64", "--engine-opt-shapes", "input:4x3x64x64", "--engine-max-shapes", "input:8x3x64x64");

        Assert.True(code == ExitCodes.Success, stderr);
        var plan = Path.Combine(Repo, "tiny", "1", "model.plan");
        Assert.Equal(FileHash.Sha256(Path.Combine(Out, "model.plan")), FileHash.Sha256(plan));
        Assert.False(File.Exists(Path.Combine(Repo, "tiny", "1", "model.onnx")));
        var config = Config();
        Assert.Empty(TritonConfigCheck.Check(config, "tiny", TritonArtifact.Plan, TritonModel.FromModel(ModelReader.Read(Path.Combine(Out, "model.onnx")))));
        Assert.Equal("tensorrt_plan", config.Platform);
        Assert.Equal(8, config.MaxBatchSize);
        Assert.Equal([3L, 64, 64], config.Input.Single().Dims);
        Assert.Equal(ModelInstanceGroup.Types.Kind.Gpu, config.InstanceGroup.Single().Kind);
        Assert.Null(config.Optimization); // the ONNX Runtime backend's accelerator is not for plans
        Assert.Contains("(tensorrt_plan, max_batch_size 8)", stdout);
    }

    [Fact]
    public void A_profile_fixed_at_batch_2_cannot_take_Tritons_smaller_batches_so_the_client_sends_the_batch()
    {
        var (code, _, stderr) = Run(null, "--engine-shapes", "input:2x3x64x64");

        Assert.True(code == ExitCodes.Success, stderr);
        var config = Config();
        Assert.Equal(0, config.MaxBatchSize);
        Assert.Equal([-1L, 3, 64, 64], config.Input.Single().Dims);
        Assert.Null(config.DynamicBatching);
    }

    [Fact]
    public void A_batch_above_the_engines_profile_is_refused_before_anything_is_built_or_written()
    {
        var (code, _, stderr) = Run(null, "--engine-min-shapes", "input:1x3x64x64", "--engine-max-shapes", "input:8x3x64x64", "--triton-max-batch", "16");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--triton-max-batch 16 is above the engine's largest batch 8", stderr);
        Assert.False(Directory.Exists(Out));
        Assert.False(Directory.Exists(Repo));
    }

    [Fact]
    public void A_failed_engine_build_leaves_the_repository_as_it_was()
    {
        Assert.Equal(ExitCodes.Success, Run(null, "--engine-shapes", "input:2x3x64x64").Code);
        var before = FileHash.FolderSha256(Repo);

        var (code, _, _) = Run("build-failed", "--engine-shapes", "input:2x3x64x64");

        Assert.Equal(ExitCodes.ExternalToolFailed, code);
        Assert.Equal(before, FileHash.FolderSha256(Repo));
        Assert.Equal(["1", "config.pbtxt"], Directory.EnumerateFileSystemEntries(Path.Combine(Repo, "tiny")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    public void Dispose() => _dir.Dispose();
}
