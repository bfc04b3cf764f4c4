using System.Globalization;
using System.Text.RegularExpressions;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// The memory side of <c>--jobs N</c>: what a job is expected to need (<see cref="Estimate"/>), what the machine has
/// (<see cref="Available"/>), and <c>--max-memory SIZE</c>'s text.
/// </summary>
public static partial class MemoryBound
{
    /// <summary>What one optimize process needs before any model: the .NET runtime and ONNX Runtime.</summary>
    public const long ProcessBytes = 256L << 20;

    /// <summary>
    /// How many times its file size a model takes while it is optimized: the model read into the IR, the copy written
    /// out, and ONNX Runtime's session on it for calibration or validation (which holds the weights once more, and
    /// the activations).
    /// </summary>
    public const int ModelMultiple = 4;

    /// <summary>The estimate for a job on <paramref name="model"/>: <see cref="ModelMultiple"/> times the model (and its external data) plus <see cref="ProcessBytes"/>.</summary>
    public static long Estimate(string model)
    {
        long bytes = 0;
        var dir = Path.GetDirectoryName(Path.GetFullPath(model))!;
        if (File.Exists(model)) bytes += new FileInfo(model).Length;
        // External data: the usual MODEL.onnx.data / MODEL.data files beside it.
        foreach (var data in new[] { model + ".data", Path.Combine(dir, Path.GetFileNameWithoutExtension(model) + ".data") }.Distinct())
            if (File.Exists(data)) bytes += new FileInfo(data).Length;
        return ModelMultiple * bytes + ProcessBytes;
    }

    /// <summary>MemAvailable of /proc/meminfo; elsewhere what the GC sees as available.</summary>
    public static long Available()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (MemAvailable().Match(line) is { Success: true } m) return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary><c>123</c> (bytes), <c>512K</c>, <c>1.5G</c>, <c>2GiB</c>, <c>800MB</c> (K/M/G/T are powers of 1024).</summary>
    public static long Parse(string text)
    {
        var m = Size().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number <= 0)
            throw new InvalidInputException($"--max-memory: '{text}' is not a size; expected e.g. 6G, 512M or 2GiB");
        var unit = m.Groups[2].Value.ToUpperInvariant() switch { "" or "B" => 1L, "K" => 1L << 10, "M" => 1L << 20, "G" => 1L << 30, _ => 1L << 40 };
        var bytes = number * unit;
        if (bytes >= long.MaxValue) throw new InvalidInputException($"--max-memory: '{text}' is too large");
        return (long)bytes;
    }

    public static string Text(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0", CultureInfo.InvariantCulture) + " MiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    [GeneratedRegex(@"^MemAvailable:\s+(\d+)\s*kB")]
    private static partial Regex MemAvailable();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(?:([KMGTkmgt])(?:i?[Bb])?|([Bb]))?$")]
    private static partial Regex Size();
}
