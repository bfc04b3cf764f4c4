using System.Globalization;

namespace FakeTrtexec;

/// <summary>
/// <c>--memPoolSize=workspace:N[,pool:N]</c>. In 8.x the value is a number of MiB; from 10.1 the suffixes B/K/M/G
/// (default M) and decimals are accepted.
/// </summary>
internal static class MemPool
{
    private static readonly string[] Pools = ["workspace", "dlaSRAM", "dlaLocalDRAM", "dlaGlobalDRAM", "tacticSharedMem"];

    public static string? Validate(FakeVersion version, string spec)
    {
        foreach (var entry in spec.Split(','))
        {
            var colon = entry.LastIndexOf(':');
            if (colon < 0) return $"Invalid memPoolSize: {entry}";
            var (pool, size) = (entry[..colon], entry[(colon + 1)..]);
            if (!Pools.Contains(pool)) return $"Unknown memory pool: {pool}";
            if (!IsValidSize(version, size)) return $"Invalid memPoolSize value: {size}";
        }
        return null;
    }

    private static bool IsValidSize(FakeVersion version, string size)
    {
        if (!version.AtLeast(10, 1))
            return long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        var number = size.Length > 0 && "BKMG".Contains(size[^1]) ? size[..^1] : size;
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) && v >= 0;
    }
}
