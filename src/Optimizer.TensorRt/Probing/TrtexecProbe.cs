using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Running;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Probing;

/// <summary>The TensorRT release and the GPU a trtexec would build for.</summary>
public sealed record ProbeResult(TensorRtVersion Version, GpuInfo? Gpu);

/// <summary>
/// Learns the TensorRT version and the GPU before building, because the flags depend on the version and the engine
/// cache key on both. trtexec prints its banner first, then the options and the device information, and only then
/// opens the model; so a run that asks to load an engine file that does not exist reports version and device and
/// stops ("Engine set up failed") without building anything. Its failure is expected; a missing banner or a machine
/// without a GPU is not.
/// </summary>
public static class TrtexecProbe
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<ProbeResult> RunAsync(string trtexec, int device, CancellationToken cancellationToken)
    {
        var absent = Path.Combine(Path.GetTempPath(), $"optimizer-probe-{Guid.NewGuid():N}.plan");
        var result = await ProcessRunner.RunAsync(trtexec, [$"--loadEngine={absent}", $"--device={device}"], null, Timeout, cancellationToken);
        var log = LogParser.ParseAll(result.Lines);
        if (log.Version is null)
            throw new ExternalToolException(
                $"{trtexec} printed no '&&&& RUNNING TensorRT.trtexec [TensorRT vNNNN]' banner (exit code {result.ExitCode}), so it does not look like trtexec: {FirstLines(result)}");
        if (log.DeviceMissing)
            throw new ExternalToolException($"trtexec (TensorRT {log.Version}) found no usable GPU: {string.Join(" ", log.Errors)}");
        return new ProbeResult(log.Version, log.Gpu);
    }

    private static string FirstLines(ProcessResult result) =>
        string.Join(" | ", result.Lines.Select(l => l.Raw).Where(l => l.Trim().Length > 0).Take(3));
}
