using Optimizer.Cli.Commands;
using Optimizer.Cli.Pipeline;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>--feed-back on the command line: with the validation it streams, and nowhere else.</summary>
public sealed class FeedBackCommandTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WithoutValidateItIsRefusedBeforeAnythingIsWritten()
    {
        var result = CliRunner.Run(TestPaths.SharedModel("silero_vad_legacy.onnx"), "-o", _dir.File("out"), "--feed-back", "hn=h,cn=c");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--feed-back need --validate DIR", result.Stderr);
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Theory]
    [InlineData("hn=nope", "--feed-back hn=nope: the model has no input 'nope' (inputs: input, sr, h, c)")]
    // what the declared types tell is said as early: the speech probability [batch, 1] is no state [2, batch, 64]
    [InlineData("output=h", "--feed-back output=h: the output has 2 dimensions but the input 3")]
    [InlineData("output=sr", "--feed-back output=sr: the output is float but the input int64")]
    public void APairTheModelCannotTakeIsRefusedBeforeAnythingRuns(string pair, string message)
    {
        var data = Directory.CreateDirectory(_dir.File("data")).FullName;
        var result = CliRunner.Run(TestPaths.SharedModel("silero_vad_legacy.onnx"), "-o", _dir.File("out"), "--quantize", "int8", "--calibrate", data,
            "--validate", data, "--feed-back", pair);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("calibrat", result.Stderr); // said before calibration, not after it
    }

    [Fact]
    public void AStoredReportCannotBeStreamedAgainst()
    {
        var report = _dir.File("report.json");
        File.WriteAllText(report, "{}");
        var result = CliRunner.Run("validate", "--candidate", TestPaths.SharedModel("silero_vad_legacy.onnx"), "--against", report, "--feed-back", "hn=h", "--samples", "2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--feed-back streams the baseline and the candidate side by side", result.Stderr);
    }

    [Fact]
    public void ThePipelineKeyIsTheOption()
    {
        var file = _dir.File("job.yaml");
        File.WriteAllText(file, "model: m.onnx\nquantize: int8\ncalibrate: calib\nvalidate:\n  data: val\n  feed-back: stateN=state\n");

        var job = Assert.Single(PipelineFile.Read(file, file));

        Assert.Equal(["--feed-back", "stateN=state"], job.Arguments.SkipWhile(a => a != "--feed-back").Take(2));
        Assert.Empty(CommandLineApp.BuildRoot().Parse([.. job.Arguments]).Errors);
    }
}
