namespace Optimizer.Runtime.Data;

/// <summary>
/// Pads tensors of one rank to a common shape, zeros at the end of each axis: images read at their own width (a text
/// line recognizer's [N,3,48,W]) batch together at the widest, the zeros being the normalized mean, as PaddleOCR pads.
/// </summary>
public static class TensorPadding
{
    /// <summary>The largest size of each axis over <paramref name="parts"/> (same rank).</summary>
    public static long[] LargestShape(IReadOnlyList<HostTensor> parts) =>
        Enumerable.Range(0, parts[0].Shape.Length).Select(axis => parts.Max(p => p.Shape[axis])).ToArray();

    /// <summary><paramref name="tensor"/> inside a zeroed tensor of <paramref name="shape"/> (no smaller on any axis), at index 0 of every axis.</summary>
    public static HostTensor PadTo(HostTensor tensor, long[] shape)
    {
        if (tensor.Shape.SequenceEqual(shape)) return tensor;
        if (shape.Length != tensor.Shape.Length || shape.Where((d, i) => d < tensor.Shape[i]).Any())
            throw new ArgumentException($"cannot pad {tensor.ShapeText} to {HostTensor.FormatShape(shape)}");
        var padded = HostTensor.Allocate(tensor.ElementType, shape);
        var size = TensorTypes.SizeOf(tensor.ElementType);
        var rank = shape.Length;
        if (rank == 0 || tensor.ElementCount == 0) return padded;
        // Copy the innermost rows one by one: the source's row i lands at the padded tensor's row with the same indices.
        var rowBytes = (int)(tensor.Shape[rank - 1] * size);
        var rows = tensor.ElementCount / tensor.Shape[rank - 1];
        var index = new long[rank - 1];
        for (long row = 0; row < rows; row++)
        {
            long target = 0;
            for (var axis = 0; axis < rank - 1; axis++) target = target * shape[axis] + index[axis];
            target *= shape[rank - 1];
            tensor.Bytes.AsSpan((int)(row * rowBytes), rowBytes).CopyTo(padded.Bytes.AsSpan((int)(target * size)));
            for (var axis = rank - 2; axis >= 0 && ++index[axis] == tensor.Shape[axis]; axis--) index[axis] = 0;
        }
        return padded;
    }
}
