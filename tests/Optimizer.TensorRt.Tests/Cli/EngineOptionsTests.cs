using System.CommandLine;
using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>The options as the root command uses them (<c>optimize MODEL ... --engine</c>), prefixed with --engine-.</summary>
public sealed class EngineOptionsTests
{
    [Fact]
    public async Task The_root_form_builds_only_with_engine_and_reads_the_prefixed_options()
    {
        using var h = new BuildHarness("10.9.0.34");
        var engine = new EngineOptions(forRoot: true);
        var command = new RootCommand();
        engine.AddTo(command);
        var without = command.Parse(["--engine-shapes", "x:2x3x8x8"]);
        var with = command.Parse(["--engine", "--trtexec", h.Trtexec, "--engine-shapes", "x:2x3x8x8", "--engine-duration", "0.05", "--engine-cache", h.Cache]);
        Assert.Empty(with.Errors);
        Assert.False(engine.IsRequested(without));
        Assert.True(engine.IsRequested(with));

        var code = await engine.RunAsync(with, h.ModelPath, h.Out, CancellationToken.None, printSummary: false);

        Assert.Equal(ExitCodes.Success, code);
        Assert.True(File.Exists(Path.Combine(h.Out, "model.plan")));
        Assert.Contains("--optShapes=x:2x3x8x8", await File.ReadAllTextAsync(Path.Combine(h.Out, "trtexec.log")));
    }
}
