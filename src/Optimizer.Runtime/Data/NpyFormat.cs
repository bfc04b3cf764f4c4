using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The numpy <c>.npy</c> format: magic <c>\x93NUMPY</c>, version, a header dict
/// (<c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (1, 3), }</c>) padded to 64 bytes, then the data.
/// Little-endian C-order arrays are read; anything else is rejected with a message naming the file.
/// </summary>
public static partial class NpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static HostTensor Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Read(stream, path);
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{path}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>Reads one array; <paramref name="source"/> names the file in error messages.</summary>
    public static HostTensor Read(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[10];
        if (!TryReadExactly(stream, prefix) || !prefix[..6].SequenceEqual(Magic))
            throw Bad(source, "not a .npy file (no \\x93NUMPY magic)");
        var major = prefix[6];
        int headerLength;
        if (major == 1)
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
        else if (major is 2 or 3)
        {
            Span<byte> more = stackalloc byte[2];
            if (!TryReadExactly(stream, more)) throw Bad(source, "truncated header");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], more[0], more[1]]));
        }
        else
            throw Bad(source, $"unsupported .npy version {major}");
        if (headerLength is <= 0 or > 1 << 20) throw Bad(source, "bad header length");
        var headerBytes = new byte[headerLength];
        if (!TryReadExactly(stream, headerBytes)) throw Bad(source, "truncated header");
        var header = Encoding.Latin1.GetString(headerBytes);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw Bad(source, $"unreadable header {header.Trim()}");
        if (fortran.Groups[1].Value == "True") throw Bad(source, "Fortran-order arrays are not supported");
        var code = descr.Groups[1].Value;
        if (code.Length != 3 || code[0] == '>') throw Bad(source, $"unsupported dtype '{code}' (little-endian numeric types only)");
        var type = TensorTypes.FromNumpy(code[1..]) ?? throw Bad(source, $"unsupported dtype '{code}'");
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, out var v) && v >= 0 ? v : throw Bad(source, $"bad shape ({shapeMatch.Groups[1].Value})"))
            .ToArray();

        HostTensor tensor;
        try { tensor = HostTensor.Allocate(type, shape); }
        catch (OverflowException) { throw Bad(source, "array too large"); }
        if (!TryReadExactly(stream, tensor.Bytes)) throw Bad(source, $"truncated data: expected {tensor.Bytes.Length} bytes for {HostTensor.FormatShape(shape)} {TensorTypes.Name(type)}");
        return tensor;
    }

    /// <summary>Writes one array to a new file at <paramref name="path"/> (replacing one there).</summary>
    public static void Write(string path, HostTensor tensor)
    {
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    public static void Write(Stream stream, HostTensor tensor)
    {
        var shape = tensor.Shape.Length == 1 ? $"({tensor.Shape[0]},)" : $"({string.Join(", ", tensor.Shape)})";
        var dict = $"{{'descr': '{TensorTypes.ToNumpy(tensor.ElementType)}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = Magic.Length + 4 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - total % 64) % 64) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)padded.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(padded));
        stream.Write(tensor.Bytes);
    }

    private static bool TryReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static InvalidInputException Bad(string source, string why) => new($"{source}: {why}");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
