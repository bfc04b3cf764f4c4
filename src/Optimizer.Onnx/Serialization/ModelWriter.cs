using Google.Protobuf;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Writes the IR as an ONNX file, atomically (the file appears only once complete), never over the model it was
/// read from, with tensor data in an external file when asked or when the model passes protobuf's 2 GiB limit.
/// </summary>
public static class ModelWriter
{
    private const long ProtobufLimit = int.MaxValue;

    public static void Write(Model model, string path, ModelWriteOptions? options = null)
    {
        options ??= ModelWriteOptions.Default;
        var full = Path.GetFullPath(path);
        RefuseSource(model, full);
        var external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => InlineBytes(model) > options.AutoExternalAboveBytes,
        };
        if (!external)
        {
            var bytes = ToBytes(model);
            AtomicFile.Write(full, s => s.Write(bytes));
            return;
        }
        var dataName = options.ExternalFileName ?? Path.GetFileName(full) + ".data";
        if (Path.GetFileName(dataName) != dataName) throw new InvalidInputException($"external data file name '{dataName}' must be a plain file name");
        var dataPath = Path.Combine(Path.GetDirectoryName(full)!, dataName);
        RefuseSource(model, dataPath);
        if (model.AllGraphs().SelectMany(g => g.Initializers).Any(v => v.Initializer!.Data is ExternalTensorData e && SamePath(e.Path, dataPath)))
            throw new InvalidInputException($"refusing to write external data over '{dataPath}', which the input model reads its weights from");
        // Data first: a model file must never point at data that is not complete.
        var forceAttributes = InlineBytes(model) > options.AutoExternalAboveBytes;
        Google.Protobuf.IMessage? proto = null;
        AtomicFile.Write(dataPath, stream =>
        {
            var sink = new ExternalDataSink(stream, dataName, options.ExternalThresholdBytes, forceAttributes);
            proto = new ProtoExporter(sink).ExportModel(model);
        });
        AtomicFile.Write(full, s => proto!.WriteTo(s));
    }

    /// <summary>The model serialized with all data inline (fails beyond protobuf's 2 GiB limit).</summary>
    public static byte[] ToBytes(Model model)
    {
        var inline = InlineBytes(model);
        if (inline > ProtobufLimit)
            throw new InvalidInputException($"the model holds {inline / (1 << 20)} MiB of tensors, beyond protobuf's 2 GiB limit; write it with external data");
        return new ProtoExporter(null).ExportModel(model).ToByteArray();
    }

    /// <summary>Bytes of tensor data the model would hold inline.</summary>
    public static long InlineBytes(Model model) =>
        model.AllGraphs().Sum(g => g.Initializers.Sum(v => v.Initializer!.ByteCount)
            + g.Nodes.Sum(n => n.Attributes.Sum(a => (a.Tensor?.ByteCount ?? 0) + a.Tensors.Sum(t => t.ByteCount))));

    private static void RefuseSource(Model model, string path)
    {
        if (model.SourcePath is { } source && SamePath(source, path))
            throw new InvalidInputException($"refusing to write over the input model '{source}'; choose another output");
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(ExternalDataPaths.RealPath(Path.GetFullPath(a)), ExternalDataPaths.RealPath(Path.GetFullPath(b)), StringComparison.Ordinal);
}
