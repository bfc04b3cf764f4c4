using System.Text.Json;

namespace Optimizer.TensorRt.Logs;

/// <summary>An --exportTimes file: one object per timed query; <c>latencyMs</c> is H2D + compute + D2H.</summary>
public static class TimesFile
{
    public static double[] ReadLatencies(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.EnumerateArray().Select(q => q.GetProperty("latencyMs").GetDouble()).ToArray();
    }
}
