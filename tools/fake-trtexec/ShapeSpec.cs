using System.Globalization;

namespace FakeTrtexec;

/// <summary>
/// sampleOptions.cpp <c>getShapesBuild</c>/<c>splitNameAndValue</c>: <c>in0:1x3x224x224,in1:1x3</c>. Entries are split
/// at ','; a name in single quotes is taken verbatim, otherwise the name ends at the last ':'. A bare
/// <c>name:scalar</c> means a 0-D tensor.
/// </summary>
internal static class ShapeSpec
{
    public static Dictionary<string, long[]> Parse(string? spec)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(spec)) return result;
        foreach (var entry in spec.Split(','))
        {
            var (name, dims) = SplitNameAndValue(entry);
            result[name] = dims == "scalar" ? [] : dims.Split('x').Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        }
        return result;
    }

    private static (string Name, string Value) SplitNameAndValue(string entry)
    {
        var quoted = entry.Split('\'');
        if (quoted.Length != 1)
        {
            if (quoted.Length != 3)
                throw new ArgumentException($"Found invalid number of 's when parsing {entry}. Expected: 2, received: {quoted.Length - 1}");
            return (quoted[0] + quoted[1], quoted[2].Length > 0 ? quoted[2][1..] : "");
        }
        var colon = entry.LastIndexOf(':');
        if (colon < 0) throw new ArgumentException($"Invalid shape specification: {entry}");
        return (entry[..colon], entry[(colon + 1)..]);
    }

    public static string Format(IEnumerable<long> dims) => string.Join("x", dims);
}
