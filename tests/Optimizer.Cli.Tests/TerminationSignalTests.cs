using System.Diagnostics;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>SIGTERM, as 'timeout', a process-group kill or the zoo runner send it: cancelled cleanly, however many arrive.</summary>
public sealed class TerminationSignalTests
{
    [Fact]
    public async Task Several_sigterms_cancel_once_with_exit_130_and_no_stack_trace()
    {
        if (OperatingSystem.IsWindows()) return;
        var model = TestPaths.SharedModel("mobilenet_v2.onnx");
        using var child = Process.Start(new ProcessStartInfo("dotnet", [CliProcess.Dll(), "validate", "--baseline", model, "--candidate", model,
            "--data", TestPaths.SharedModel("images"), "--samples", "19"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = child.StandardError.ReadToEndAsync();
        _ = child.StandardOutput.ReadToEndAsync();
        await Task.Delay(2500); // past start-up, into the validation
        for (var i = 0; i < 3 && !child.HasExited; i++)
        {
            using var kill = Process.Start("kill", ["-TERM", child.Id.ToString()]);
            kill.WaitForExit();
            await Task.Delay(50);
        }
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await child.WaitForExitAsync(limit.Token);
        var text = await stderr;
        Assert.DoesNotContain("Unhandled exception", text);
        Assert.DoesNotContain("   at ", text);
        // cancelled by the first signal (130), or ended by a later one before it could say so (143); never a crash (134)
        Assert.Contains(child.ExitCode, new[] { 130, 143 });
    }
}
