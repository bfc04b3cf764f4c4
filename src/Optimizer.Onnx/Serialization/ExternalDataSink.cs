using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Collects tensor data into one external data file while a model is written. Large tensors start at 4 KiB-aligned
/// offsets (so they can be memory-mapped); offsets and lengths are recorded as ONNX defines them.
/// </summary>
internal sealed class ExternalDataSink(Stream stream, string location, long thresholdBytes, bool includeAttributeTensors)
{
    private const int Alignment = 4096;
    private const long AlignFrom = 1 << 20;

    public bool IncludeAttributeTensors { get; } = includeAttributeTensors;

    public long BytesWritten { get; private set; }

    public bool Wants(Tensor t) => t.ElementType != ElementType.String && t.ByteCount >= thresholdBytes;

    public (string Location, long Offset, long Length) Append(Tensor t)
    {
        if (t.ByteCount >= AlignFrom && BytesWritten % Alignment != 0)
        {
            var pad = Alignment - BytesWritten % Alignment;
            stream.Write(new byte[pad]);
            BytesWritten += pad;
        }
        var offset = BytesWritten;
        var data = t.Data ?? throw new InvalidOperationException($"tensor '{t.Name}' has no data");
        data.CopyTo(stream);
        BytesWritten += data.Length;
        return (location, offset, data.Length);
    }
}
