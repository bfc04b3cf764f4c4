using System.Buffers.Binary;
using Optimizer.Onnx.IR;

namespace ModelGen;

/// <summary>
/// Deterministic float32 data in [-scale, scale), produced in chunks as it is written, so a model with gigabytes of
/// weights can be generated without holding them in memory. The same seed always gives the same bytes.
/// </summary>
public sealed class SeededTensorData(ulong seed, long elements, float scale = 0.05f) : TensorData
{
    private const int ChunkElements = 1 << 18;

    public override long Length => elements * 4;

    public override ReadOnlyMemory<byte> Read()
    {
        var buffer = new MemoryStream((int)Length);
        CopyTo(buffer);
        return buffer.GetBuffer().AsMemory(0, (int)Length);
    }

    public override void CopyTo(Stream destination)
    {
        var state = seed * 0x9E3779B97F4A7C15UL + 1;
        var chunk = new byte[ChunkElements * 4];
        for (long done = 0; done < elements; done += ChunkElements)
        {
            var n = (int)Math.Min(ChunkElements, elements - done);
            for (var i = 0; i < n; i++)
            {
                // xorshift64*: fast, and good enough for weights that only need to be reproducible.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                var bits = (state * 0x2545F4914F6CDD1DUL) >> 40; // 24 random bits
                BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * 4), (bits / (float)(1 << 24) * 2 - 1) * scale);
            }
            destination.Write(chunk, 0, n * 4);
        }
    }
}
