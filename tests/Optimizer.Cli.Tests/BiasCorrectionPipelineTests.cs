using Optimizer.Cli.Commands;
using Optimizer.Cli.Pipeline;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>The pipeline-file key <c>bias-correction</c> is the flag <c>--bias-correction</c>.</summary>
public class BiasCorrectionPipelineTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void TheKeyBecomesTheFlag(string value, bool expected)
    {
        using var dir = TestPaths.NewTempDir();
        var file = dir.File("job.yaml");
        File.WriteAllText(file, $"""
            model: m.onnx
            quantize: int8
            calibrate: calib
            bias-correction: {value}
            """);

        var job = Assert.Single(PipelineFile.Read(file, file));

        Assert.Equal(expected, job.Arguments.Contains("--bias-correction"));
        Assert.Empty(CommandLineApp.BuildRoot().Parse([.. job.Arguments]).Errors);
    }
}
