using System.Buffers.Binary;

namespace FakeTrtexec;

/// <summary>
/// The serialized engine. Like a real plan it starts with the u32 0x74727466 ("ftrt") and holds the TensorRT
/// major.minor.patch.build in bytes 24-27 (sampleEngines.cpp printPlanVersion); the double also keeps the timing
/// figures it needs to run the engine later (with each layer's name and compute time, for the per-layer profile: a
/// table of "ms TAB name" lines after the header, its length in bytes 56-59), and fills the rest to the engine's size.
/// </summary>
internal sealed record FakePlan(FakeVersion Version, long Size, ulong Seed, double ComputeMs, double H2dMs, double D2hMs, int Layers,
    IReadOnlyList<(string Name, double Ms)>? LayerTimes = null)
{
    public const uint Magic = 0x74727466;
    private const int HeaderSize = 64;

    public byte[] Serialize()
    {
        var table = System.Text.Encoding.UTF8.GetBytes(string.Concat((LayerTimes ?? []).Select(l => $"{l.Ms.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\t{l.Name}\n")));
        var bytes = new byte[Math.Max(Size, HeaderSize + table.Length)];
        new Random(unchecked((int)Seed)).NextBytes(bytes.AsSpan(HeaderSize));
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], bytes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], Seed);
        span[24] = (byte)Version.Major; span[25] = (byte)Version.Minor; span[26] = (byte)Version.Patch; span[27] = (byte)Version.Build;
        BinaryPrimitives.WriteDoubleLittleEndian(span[28..], ComputeMs);
        BinaryPrimitives.WriteDoubleLittleEndian(span[36..], H2dMs);
        BinaryPrimitives.WriteDoubleLittleEndian(span[44..], D2hMs);
        BinaryPrimitives.WriteInt32LittleEndian(span[52..], Layers);
        BinaryPrimitives.WriteInt32LittleEndian(span[56..], table.Length);
        table.CopyTo(span[HeaderSize..]);
        return bytes;
    }

    /// <summary>Reads a plan; the error is the message TensorRT gives for a foreign or mismatched file.</summary>
    public static (FakePlan? Plan, string? Error) Deserialize(byte[] bytes, FakeVersion runtime)
    {
        var span = bytes.AsSpan();
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic)
            return (null, "[TRT] IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion plan->header.magicTag == rt::kPLAN_MAGIC_TAG failed.)");
        var built = new FakeVersion(span[24], span[25], span[26], span[27]);
        if (built != runtime)
            return (null, $"[TRT] IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion stdVersionRead == kSERIALIZATION_VERSION failed.The engine plan file is not compatible with this version of TensorRT, expecting library version {runtime.Dotted}.{runtime.Build} got {built.Dotted}.{built.Build}, please rebuild.)");
        return (new FakePlan(built, bytes.Length, BinaryPrimitives.ReadUInt64LittleEndian(span[16..]),
            BinaryPrimitives.ReadDoubleLittleEndian(span[28..]), BinaryPrimitives.ReadDoubleLittleEndian(span[36..]),
            BinaryPrimitives.ReadDoubleLittleEndian(span[44..]), BinaryPrimitives.ReadInt32LittleEndian(span[52..]), ReadLayerTimes(span)), null);
    }

    private static IReadOnlyList<(string Name, double Ms)> ReadLayerTimes(ReadOnlySpan<byte> span)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[56..]);
        if (length <= 0 || HeaderSize + length > span.Length) return [];
        return System.Text.Encoding.UTF8.GetString(span.Slice(HeaderSize, length)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .Select(parts => (parts[1], double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }
}
