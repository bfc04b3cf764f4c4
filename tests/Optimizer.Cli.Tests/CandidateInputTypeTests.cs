using Optimizer.Onnx.Errors;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize validate</c> feeds the data as it is to both models (README, Data): a candidate that takes another
/// element type than the data holds (a --no-keep-io-types FP16 model against float32 samples) is bad input, named as
/// the baseline's own data check names it (file, input, type found, type wanted), not ONNX Runtime's raw refusal.
/// </summary>
public sealed class CandidateInputTypeTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    [Fact]
    public void AHalfInputCandidateOnFloat32DataIsRefusedWithTheFileTheInputAndBothTypes()
    {
        using var dir = TestPaths.NewTempDir();
        var half = CliRunner.Run(TinyCnn, "-o", dir.File("half"), "--quantize", "fp16", "--no-keep-io-types");
        Assert.True(half.ExitCode == 0, half.Stderr);
        var candidate = dir.File(Path.Combine("half", "model.onnx"));

        var result = CliRunner.Run("validate", "--baseline", TinyCnn, "--candidate", candidate, "--data", Held);

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + Held, line);
        Assert.Contains($"is float32 but {candidate} takes float16[", line);
        Assert.DoesNotContain("Unexpected input data type", line);
    }

    [Fact]
    public void AFloat32InterfaceCandidateOnTheSameDataIsValidated()
    {
        using var dir = TestPaths.NewTempDir();
        var kept = CliRunner.Run(TinyCnn, "-o", dir.File("kept"), "--quantize", "fp16");
        Assert.True(kept.ExitCode == 0, kept.Stderr);

        var result = CliRunner.Run("validate", "--baseline", TinyCnn, "--candidate", dir.File(Path.Combine("kept", "model.onnx")), "--data", Held);

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
    }
}
