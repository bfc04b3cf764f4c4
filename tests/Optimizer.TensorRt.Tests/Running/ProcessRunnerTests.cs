using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Running;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Running;

public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task Returns_the_exit_code_and_both_streams_without_throwing()
    {
        var run = await ProcessRunner.RunAsync("/bin/sh", ["-c", "echo out; echo err >&2; exit 7"], null, null, CancellationToken.None);
        Assert.Equal(7, run.ExitCode);
        Assert.False(run.TimedOut);
        Assert.Contains(run.Lines, l => l is { Stream: OutputStream.Stdout, Raw: "out" });
        Assert.Contains(run.Lines, l => l is { Stream: OutputStream.Stderr, Raw: "err" });
    }

    [Fact]
    public async Task Arguments_are_passed_as_they_are_never_through_a_shell()
    {
        var run = await ProcessRunner.RunAsync("/bin/echo", ["--optShapes='in:0':1x3", "a b;$(x)"], null, null, CancellationToken.None);
        Assert.Equal("--optShapes='in:0':1x3 a b;$(x)", Assert.Single(run.Lines).Raw);
    }

    [Fact]
    public async Task Stops_a_process_at_the_time_limit()
    {
        var run = await ProcessRunner.RunAsync("/bin/sleep", ["30"], null, TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.True(run.TimedOut);
        Assert.Equal(-1, run.ExitCode); // stopped, not a sleep that ran its 30 s out (that exits 0)
    }

    [Fact]
    public async Task The_callers_cancellation_throws()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessRunner.RunAsync("/bin/sleep", ["30"], null, null, cancel.Token));
    }

    [Fact]
    public async Task A_file_that_cannot_run_is_an_external_tool_error()
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("trtexec");
        await File.WriteAllBytesAsync(path, [0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => ProcessRunner.RunAsync(path, [], null, null, CancellationToken.None));
        Assert.Contains("could not start", error.Message);
    }
}
