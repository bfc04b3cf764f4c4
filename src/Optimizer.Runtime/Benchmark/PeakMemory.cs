using System.Diagnostics;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// The process's peak resident memory. On Linux the peak (VmHWM) can be reset by writing 5 to
/// /proc/self/clear_refs, so each batch size gets its own peak; elsewhere the peak is the process's whole life.
/// </summary>
public static class PeakMemory
{
    public static void Reset()
    {
        try
        {
            if (OperatingSystem.IsLinux()) File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not permitted here: the peak then covers the whole process.
        }
    }

    public static long ReadBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
            }
            catch (IOException)
            {
            }
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
