using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// A dense numeric tensor in host memory: element type, shape, and the row-major little-endian bytes. The buffer is
/// allocated pinned, so an <see cref="OrtValue"/> can point at it without copying (see <see cref="ToOrtValue"/>).
/// </summary>
public sealed class HostTensor
{
    private HostTensor(TensorElementType elementType, long[] shape, byte[] bytes)
    {
        ElementType = elementType;
        Shape = shape;
        Bytes = bytes;
    }

    public TensorElementType ElementType { get; }
    public long[] Shape { get; }
    /// <summary>Row-major, little-endian element bytes, always allocated pinned.</summary>
    public byte[] Bytes { get; }
    public long ElementCount => ElementCountOf(Shape);

    /// <summary>A zeroed tensor whose buffer lives on the pinned object heap (stable address for ONNX Runtime).</summary>
    public static HostTensor Allocate(TensorElementType elementType, long[] shape) =>
        new(elementType, shape, GC.AllocateArray<byte>(checked((int)(ElementCountOf(shape) * TensorTypes.SizeOf(elementType))), pinned: true));

    /// <summary>A tensor holding a copy of <paramref name="bytes"/> (which must be exactly the elements' bytes).</summary>
    public static HostTensor FromBytes(TensorElementType elementType, long[] shape, ReadOnlySpan<byte> bytes)
    {
        var tensor = Allocate(elementType, shape);
        if (bytes.Length != tensor.Bytes.Length)
            throw new ArgumentException($"{bytes.Length} bytes do not hold {tensor.ElementCount} elements of {TensorTypes.Name(elementType)}");
        bytes.CopyTo(tensor.Bytes);
        return tensor;
    }

    public static HostTensor FromArray<T>(T[] values, long[] shape) where T : unmanaged
    {
        var tensor = Allocate(TensorTypes.Of<T>(), shape);
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(tensor.Bytes);
        return tensor;
    }

    public Span<T> AsSpan<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes.AsSpan());

    /// <summary>The shape as text, e.g. <c>1x3x224x224</c> (a scalar shows as <c>scalar</c>).</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>An OrtValue over this tensor's pinned memory (no copy). The caller keeps this object alive while the value is used.</summary>
    public unsafe OrtValue ToOrtValue()
    {
        fixed (byte* p = Bytes)
            return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, ElementType, Shape, (IntPtr)p, Bytes.LongLength);
    }

    /// <summary>Copies a tensor produced by ONNX Runtime into host memory.</summary>
    public static HostTensor FromOrtValue(OrtValue value)
    {
        if (!value.IsTensor)
            throw new NotSupportedException($"output of type {value.OnnxType} is not a tensor");
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType == TensorElementType.String)
            throw new NotSupportedException("string tensors are not supported");
        var tensor = Allocate(info.ElementDataType, info.Shape);
        value.GetTensorDataAsSpan<byte>().CopyTo(tensor.Bytes);
        return tensor;
    }

    /// <summary>The product of the dims; an <see cref="OverflowException"/> when a dim is negative or it does not fit in 64 bits.</summary>
    public static long ElementCountOf(long[] shape) =>
        Optimizer.Onnx.IR.ElementCounts.TryProduct(shape) ?? throw new OverflowException($"a tensor of shape {FormatShape(shape)} has more elements than 64 bits can count");

    public static string FormatShape(IEnumerable<long> shape)
    {
        var text = string.Join("x", shape);
        return text.Length == 0 ? "scalar" : text;
    }
}
