namespace FakeTrtexec;

/// <summary>FNV-1a, so the double's "random" figures are the same on every run with the same inputs.</summary>
internal static class StableHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes, ulong hash = 14695981039346656037)
    {
        foreach (var b in bytes) hash = (hash ^ b) * 1099511628211;
        return hash;
    }

    public static ulong Of(string text, ulong hash = 14695981039346656037) => Of(System.Text.Encoding.UTF8.GetBytes(text), hash);
}
