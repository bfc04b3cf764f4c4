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
