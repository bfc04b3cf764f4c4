using Optimizer.Onnx.Errors;

namespace Optimizer.Onnx.IR;

/// <summary>
/// Element and byte counts of shapes, in checked arithmetic: dims read from a model can multiply past 2^63 and wrap
/// around (f32[2^63-1, 2^63-1] would count as 1 element, f32[2^32, 2^32] as 0). Every product of dims goes through here.
/// </summary>
public static class ElementCounts
{
    /// <summary>The product of <paramref name="dims"/>, or null when a dim is negative or the product does not fit in 64 bits.</summary>
    public static long? TryProduct(IEnumerable<long> dims)
    {
        var list = dims as IReadOnlyList<long> ?? dims.ToArray();
        long product = 1;
        foreach (var d in list)
            if (d < 0) return null;
        // [2^40, 2^40, 0] is empty, although its first two dims alone overflow.
        if (list.Contains(0)) return 0;
        foreach (var d in list)
        {
            if (product > long.MaxValue / d) return null;
            product *= d;
        }
        return product;
    }

    /// <summary>
    /// The product of <paramref name="dims"/>; an <see cref="InvalidInputException"/> naming <paramref name="what"/>
    /// (e.g. "tensor 'w'") when a dim is negative or the product does not fit in 64 bits.
    /// </summary>
    public static long Product(IReadOnlyList<long> dims, string what) =>
        TryProduct(dims) ?? throw new InvalidInputException(dims.Any(d => d < 0)
            ? $"{what} has a negative dimension [{string.Join(",", dims)}]"
            : $"{what} has dims [{string.Join(",", dims)}] whose element count does not fit in 64 bits");

    /// <summary>The bytes <paramref name="count"/> elements of <paramref name="type"/> take, or null when that does not fit in 64 bits.</summary>
    public static long? TryBytes(ElementType type, long count)
    {
        if (count < 0) return null;
        var bits = type.BitWidth();
        if (bits != 0 && count > (long.MaxValue - 7) / bits) return null;
        return (count * bits + 7) / 8;
    }

    /// <summary>The bytes <paramref name="count"/> elements of <paramref name="type"/> take; an <see cref="InvalidInputException"/> naming <paramref name="what"/> when that does not fit in 64 bits.</summary>
    public static long Bytes(ElementType type, long count, string what) =>
        TryBytes(type, count) ?? throw new InvalidInputException($"{what} has {count} elements of {type.ShortName()}, whose size in bytes does not fit in 64 bits");
}
