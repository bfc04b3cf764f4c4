using System.Globalization;
using System.Text;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// TensorRT's calibration cache for implicit INT8 (TensorRT 8.x, <c>trtexec --calib=FILE</c>): a first line
/// <c>TRT-&lt;version&gt;-EntropyCalibration2</c> (version 8601 for 8.6.1), then one line per tensor
/// <c>name: 3c010204</c>, the big-endian IEEE-754 bits of the float32 scale amax / 127 in eight lower-case hex digits
/// (amax = max(|min|, |max|)). A tensor seen only as zeros has amax 0; it is written with amax 1 (scale 1/127), since
/// any scale represents zero exactly and a zero scale would make the consumer divide by zero.
/// </summary>
public static class TensorRtCalibrationCache
{
    public const int DefaultVersion = 8601;
    private const string Suffix = "-EntropyCalibration2";

    public static string Format(IReadOnlyDictionary<string, TensorRange> ranges, int trtVersion = DefaultVersion)
    {
        var text = new StringBuilder();
        text.Append("TRT-").Append(trtVersion.ToString(CultureInfo.InvariantCulture)).Append(Suffix).Append('\n');
        // a tensor no sample computed has no scale to give; TensorRT runs what reads it in higher precision
        foreach (var range in ranges.Values.Where(r => r.Observed))
            text.Append(range.Name).Append(": ").Append(Hex(ScaleOf(range))).Append('\n');
        return text.ToString();
    }

    /// <summary>Writes the cache atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, TensorRange> ranges, int trtVersion = DefaultVersion) =>
        AtomicFile.WriteAllText(path, Format(ranges, trtVersion));

    /// <summary>The scale written for a range: amax / 127, or 1/127 when amax is 0.</summary>
    public static float ScaleOf(TensorRange range)
    {
        var amax = range.AbsMax;
        return (amax > 0 ? amax : 1f) / 127f;
    }

    /// <summary>Eight lower-case hex digits of the big-endian bits of <paramref name="scale"/>.</summary>
    public static string Hex(float scale) => BitConverter.SingleToUInt32Bits(scale).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Reads the scales of a cache's text by tensor name, and its TensorRT version; refuses any other text.</summary>
    public static (int Version, IReadOnlyDictionary<string, float> Scales) Parse(string text, string source = "calibration cache")
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new InvalidInputException($"{source}: empty, expected a first line TRT-<version>{Suffix}");
        var header = lines[0];
        if (!header.StartsWith("TRT-", StringComparison.Ordinal) || !header.EndsWith(Suffix, StringComparison.Ordinal)
            || !int.TryParse(header.AsSpan(4, header.Length - 4 - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidInputException($"{source}: first line '{header}' is not TRT-<version>{Suffix}");
        var scales = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.LastIndexOf(": ", StringComparison.Ordinal);
            var hex = colon > 0 ? line[(colon + 2)..] : "";
            if (hex.Length != 8 || !uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
                throw new InvalidInputException($"{source}: line '{line}' is not 'name: <8 hex digits>'");
            scales[line[..colon]] = BitConverter.UInt32BitsToSingle(bits);
        }
        return (version, scales);
    }

    public static (int Version, IReadOnlyDictionary<string, float> Scales) Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"calibration cache '{path}' does not exist");
        return Parse(File.ReadAllText(path), $"calibration cache '{path}'");
    }
}
