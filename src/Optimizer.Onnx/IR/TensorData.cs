using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Optimizer.Onnx.IR;

/// <summary>
/// Where a tensor's bytes live. The bytes are always the raw little-endian form ONNX stores in <c>raw_data</c>
/// (sub-byte types packed), so every source can be streamed to a file without being decoded.
/// Implementations may be lazy (external files, generated data) so large models need not sit in memory.
/// </summary>
public abstract class TensorData
{
    /// <summary>Length of the raw bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Reads the raw bytes into memory.</summary>
    public abstract ReadOnlyMemory<byte> Read();

    /// <summary>Streams the raw bytes; lazy sources override it to avoid holding everything in memory.</summary>
    public virtual void CopyTo(Stream destination) => destination.Write(Read().Span);

    /// <summary>
    /// A stream over the raw bytes (at least <see cref="Length"/> of them); lazy sources override it so they are not
    /// loaded whole.
    /// </summary>
    public virtual Stream OpenRead()
    {
        var bytes = Read();
        return MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
    }

    private const int Chunk = 1 << 20;

    private byte[] ChunkBuffer() => new byte[(int)Math.Min(Chunk, Math.Max(Length, 1))];

    /// <summary>SHA-256 of the raw bytes, read a chunk at a time.</summary>
    public byte[] Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stream = OpenRead();
        var buffer = ChunkBuffer();
        for (var left = Length; left > 0;)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException($"tensor data ended {left} bytes early");
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
        return hash.GetHashAndReset();
    }

    /// <summary>True when both hold the same bytes; compared a chunk at a time.</summary>
    public bool ContentEquals(TensorData other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (Length != other.Length) return false;
        using var a = OpenRead();
        using var b = other.OpenRead();
        var (bufferA, bufferB) = (ChunkBuffer(), ChunkBuffer());
        for (var left = Length; left > 0;)
        {
            var n = (int)Math.Min(bufferA.Length, left);
            a.ReadExactly(bufferA, 0, n);
            b.ReadExactly(bufferB, 0, n);
            if (!bufferA.AsSpan(0, n).SequenceEqual(bufferB.AsSpan(0, n))) return false;
            left -= n;
        }
        return true;
    }
}

/// <summary>Raw bytes held in memory.</summary>
public sealed class MemoryTensorData(ReadOnlyMemory<byte> bytes) : TensorData
{
    public override long Length => bytes.Length;

    public override ReadOnlyMemory<byte> Read() => bytes;
}

/// <summary>
/// Bytes stored in an external file (ONNX external data), read only when needed. The path has already been
/// checked to lie inside the model's folder by the reader.
/// </summary>
public sealed class ExternalTensorData(string path, long offset, long length) : TensorData
{
    public string Path { get; } = path;

    public long Offset { get; } = offset;

    public override long Length { get; } = length;

    public override ReadOnlyMemory<byte> Read()
    {
        if (Length > Array.MaxLength)
            throw new InvalidOperationException($"external tensor of {Length} bytes in '{Path}' is too large to load at once");
        var buffer = new byte[Length];
        using var stream = Open();
        stream.ReadExactly(buffer);
        return buffer;
    }

    public override void CopyTo(Stream destination)
    {
        using var stream = Open();
        var buffer = new byte[1 << 20];
        var left = Length;
        while (left > 0)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException($"external data file '{Path}' ends before offset {Offset + Length}");
            destination.Write(buffer, 0, n);
            left -= n;
        }
    }

    public override Stream OpenRead() => Open();

    private FileStream Open()
    {
        var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (Offset + Length > stream.Length)
        {
            stream.Dispose();
            throw new EndOfStreamException($"external data file '{Path}' has {stream.Length} bytes, fewer than offset {Offset} + length {Length}");
        }
        stream.Seek(Offset, SeekOrigin.Begin);
        return stream;
    }
}
