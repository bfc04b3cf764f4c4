using System.CommandLine;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>These tests set OPTIMIZER_TRACE, which the whole process sees: none of them runs beside another test.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>
/// What the command line does around every command: a bug surfaces as exit 70 and one error line (the stack trace
/// only with OPTIMIZER_TRACE set), a cancelled run as exit 130.
/// </summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class TopLevelHandlingTests
{
    private const string BugMessage = "the pass lost track of a value\nwhile fusing";

    /// <summary>A command tree whose only action fails the way a bug in a pass would.</summary>
    private static RootCommand Failing()
    {
        var root = new RootCommand("test");
        root.SetAction((ParseResult _, CancellationToken _) => Task.FromException<int>(new InvalidOperationException(BugMessage)));
        return root;
    }

    private static (int Code, string Stdout, string Stderr) RunWithTrace(RootCommand root, string? trace, CancellationToken cancellation = default)
    {
        var before = Environment.GetEnvironmentVariable(CommandLineApp.TraceVariable);
        Environment.SetEnvironmentVariable(CommandLineApp.TraceVariable, trace);
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = CommandLineApp.Run(root, [], stdout, stderr, cancellation);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(CommandLineApp.TraceVariable, before);
        }
    }

    [Fact]
    public void AnInternalErrorExitsWith70AndOneErrorLineWithoutAStackTrace()
    {
        var (code, stdout, stderr) = RunWithTrace(Failing(), null);
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Equal(70, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(
            [
                "error: internal error (InvalidOperationException): the pass lost track of a value while fusing",
                "this is a bug in optimize; set OPTIMIZER_TRACE=1 for the stack trace and report it with the model",
            ],
            lines);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void OptimizerTracePrintsTheStackTrace()
    {
        var (code, _, stderr) = RunWithTrace(Failing(), "1");
        Assert.Equal(70, code);
        Assert.StartsWith("error: internal error (InvalidOperationException): the pass lost track of a value while fusing", stderr);
        Assert.Contains("System.InvalidOperationException: " + BugMessage, stderr);
        Assert.Contains("   at ", stderr);
        Assert.DoesNotContain("set OPTIMIZER_TRACE=1", stderr);
    }

    [Fact]
    public void AnEmptyOptimizerTraceCountsAsUnset()
    {
        var (code, _, stderr) = RunWithTrace(Failing(), "");
        Assert.Equal(70, code);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void AUserErrorIsNotReportedAsABug()
    {
        var root = new RootCommand("test");
        root.SetAction((ParseResult _, CancellationToken _) => Task.FromException<int>(new InvalidInputException("model 'm.onnx' is empty")));
        var (code, _, stderr) = RunWithTrace(root, "1");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal("error: model 'm.onnx' is empty", stderr.TrimEnd());
    }

    [Fact]
    public void ACommandThatObservesCancellationExitsWith130()
    {
        var root = new RootCommand("test");
        root.SetAction((ParseResult _, CancellationToken cancel) =>
        {
            cancel.ThrowIfCancellationRequested();
            return Task.FromResult(0);
        });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var (code, _, stderr) = RunWithTrace(root, null, cancelled.Token);
        Assert.Equal(ExitCodes.Cancelled, code);
        Assert.Equal(130, code);
        Assert.Equal("cancelled", stderr.TrimEnd());
    }

    [Fact]
    public void ARealCommandGivenACancelledTokenExitsWith130AndWritesNoReport()
    {
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8);
        b.Output(b.Op("Relu", [x]));
        var model = dir.File("m.onnx");
        ModelWriter.Write(b.Build(), model);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CommandLineApp.Run(["bench", model, "--runs", "5", "--warmup", "0", "--report", dir.File("out")], stdout, stderr, cancelled.Token);
        Assert.Equal(130, code);
        Assert.Equal("cancelled", stderr.ToString().TrimEnd());
        Assert.False(Directory.Exists(dir.File("out")) && Directory.EnumerateFileSystemEntries(dir.File("out")).Any());
    }
}
