using System.Buffers.Binary;

namespace FakeTrtexec;

/// <summary>
/// The serialized engine. Like a real plan it starts with the u32 0x74727466 ("ftrt") and holds the TensorRT
/// major.minor.patch.build in bytes 24-27 (sampleEngines.cpp printPlanVersion); the double also keeps the timing
/// figures it needs to run the engine later, and fills the rest to the engine's size.
/// </summary>
internal sealed record FakePlan(FakeVersion Version, long Size, ulong Seed, double ComputeMs, double H2dMs, double D2hMs, int Layers)
{
    public const uint Magic = 0x74727466;
    private const int HeaderSize = 64;

    public byte[] Serialize()
    {
        var bytes = new byte[Math.Max(Size, HeaderSize)];
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
            BinaryPrimitives.ReadDoubleLittleEndian(span[44..]), BinaryPrimitives.ReadInt32LittleEndian(span[52..])), null);
    }
}
