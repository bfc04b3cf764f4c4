using System.Runtime.InteropServices;
using System.Text;

namespace Optimizer.Onnx.IR;

/// <summary>
/// A constant tensor: an initializer, a Constant node's value or a tensor attribute. Numeric data is kept in its raw
/// little-endian form behind a <see cref="TensorData"/> (possibly lazy); strings are kept as byte strings.
/// </summary>
public sealed class Tensor
{
    private TensorData? _data;
    private IReadOnlyList<byte[]>? _strings;
    private long[] _dims;

    private Tensor(string name, ElementType type, long[] dims)
    {
        Name = name;
        ElementType = type;
        _dims = dims;
    }

    public string Name { get; set; }

    public ElementType ElementType { get; private set; }

    public IReadOnlyList<long> Dims => _dims;

    public string DocString { get; set; } = "";

    /// <summary>The serialized form this tensor was read from, kept so unchanged tensors are written back as they were.</summary>
    internal object? Origin { get; set; }

    /// <summary>Whether the data is still the one read from the file (not replaced by <see cref="SetData"/>).</summary>
    internal bool DataIsOriginal { get; private set; }

    /// <summary>The product of the dims; an <see cref="Errors.InvalidInputException"/> naming the tensor when it overflows 64 bits.</summary>
    public long ElementCount => ElementCounts.Product(_dims, $"tensor '{Name}'");

    /// <summary>Size of the raw data in bytes (for strings, the sum of their lengths).</summary>
    public long ByteCount => _strings is not null ? _strings.Sum(s => (long)s.Length) : _data?.Length ?? 0;

    public TensorData? Data => _data;

    public bool IsExternal => _data is ExternalTensorData;

    public static Tensor FromArray<T>(string name, T[] values, params long[] dims) where T : unmanaged
    {
        var type = ElementTypes.Of<T>();
        var tensor = new Tensor(name, type, dims.Length == 0 && values.Length != 1 ? [values.Length] : dims);
        tensor.SetRaw(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return tensor;
    }

    public static Tensor Scalar<T>(string name, T value) where T : unmanaged
    {
        var tensor = new Tensor(name, ElementTypes.Of<T>(), []);
        tensor.SetRaw(MemoryMarshal.AsBytes(new[] { value }.AsSpan()).ToArray());
        return tensor;
    }

    public static Tensor FromBytes(string name, ElementType type, long[] dims, ReadOnlyMemory<byte> raw)
    {
        var tensor = new Tensor(name, type, dims);
        tensor.SetRaw(raw);
        return tensor;
    }

    public static Tensor FromData(string name, ElementType type, long[] dims, TensorData data)
    {
        var tensor = new Tensor(name, type, dims) { _data = data };
        tensor.CheckLength();
        return tensor;
    }

    public static Tensor FromStrings(string name, IReadOnlyList<byte[]> values, params long[] dims) =>
        new(name, ElementType.String, dims) { _strings = values };

    public static Tensor FromStrings(string name, IEnumerable<string> values, params long[] dims) =>
        FromStrings(name, values.Select(Encoding.UTF8.GetBytes).ToArray(), dims);

    internal static Tensor Read(string name, ElementType type, long[] dims, TensorData? data, IReadOnlyList<byte[]>? strings, object origin) =>
        new(name, type, dims) { _data = data, _strings = strings, Origin = origin, DataIsOriginal = true };

    /// <summary>Replaces the data (and optionally type and shape) with raw little-endian bytes.</summary>
    public void SetData(ElementType type, long[] dims, ReadOnlyMemory<byte> raw)
    {
        ElementType = type;
        _dims = dims;
        SetRaw(raw);
    }

    public void SetData<T>(T[] values, params long[] dims) where T : unmanaged =>
        SetData(ElementTypes.Of<T>(), dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>Changes the shape without touching the data (a reshape: the element count must not change).</summary>
    public void Reshape(params long[] dims)
    {
        if (ElementCounts.TryProduct(dims) != ElementCount)
            throw new ArgumentException($"cannot reshape {ElementCount} elements to [{string.Join(",", dims)}]");
        _dims = dims;
    }

    /// <summary>The raw little-endian bytes (as ONNX's raw_data holds them).</summary>
    public ReadOnlyMemory<byte> GetRawBytes()
    {
        if (ElementType == ElementType.String) throw new InvalidOperationException($"tensor '{Name}' holds strings, not raw bytes");
        return _data?.Read() ?? ReadOnlyMemory<byte>.Empty;
    }

    public IReadOnlyList<byte[]> GetStrings() =>
        _strings ?? throw new InvalidOperationException($"tensor '{Name}' is {ElementType.ShortName()}, not strings");

    /// <summary>The elements as an array of <typeparamref name="T"/>, which must match the element type exactly.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (ElementTypes.Of<T>() != ElementType)
            throw new InvalidOperationException($"tensor '{Name}' is {ElementType.ShortName()}, not {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(GetRawBytes().Span).ToArray();
    }

    /// <summary>The elements converted to double (any numeric type except sub-byte and 8-bit float types).</summary>
    public double[] ToDoubles() => TensorValues.ToDoubles(ElementType, GetRawBytes().Span, ElementCount);

    public Tensor Clone(string? name = null)
    {
        var copy = new Tensor(name ?? Name, ElementType, _dims.ToArray()) { DocString = DocString, _strings = _strings, _data = _data };
        return copy;
    }

    public override string ToString() => $"{Name}: {ElementType.ShortName()}[{string.Join(",", _dims)}]";

    private void SetRaw(ReadOnlyMemory<byte> raw)
    {
        _data = new MemoryTensorData(raw);
        _strings = null;
        DataIsOriginal = false;
        CheckLength();
    }

    private void CheckLength()
    {
        var expected = ElementType.ByteCount(ElementCount);
        if (_data is not null && _data.Length != expected)
            throw new ArgumentException($"tensor '{Name}' of {ElementType.ShortName()}[{string.Join(",", _dims)}] needs {expected} bytes, got {_data.Length}");
    }
}
