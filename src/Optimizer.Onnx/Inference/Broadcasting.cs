namespace Optimizer.Onnx.Inference;

/// <summary>
/// Numpy-style multidirectional broadcasting with symbolic dims: 1 and d give d; equal dims give that dim; a static
/// size k (not 1) against a symbol gives k (the symbol must be 1 or k); two different symbols give unknown, since
/// either could be 1. Two different static sizes, neither 1, are an error.
/// </summary>
internal static class Broadcasting
{
    public static SymDim? Dim(SymDim? a, SymDim? b)
    {
        if (a is not null && a.Equals(SymDim.One)) return b;
        if (b is not null && b.Equals(SymDim.One)) return a;
        if (a is null || b is null)
            return a?.IsConstant == true ? a : b?.IsConstant == true ? b : null;
        if (a.Equals(b)) return a;
        if (a.IsConstant && b.IsConstant)
            throw new InferenceException($"cannot broadcast dims {a} and {b}");
        return a.IsConstant ? a : b.IsConstant ? b : null;
    }

    /// <summary>The broadcast shape of several shapes, or null when one of them has unknown rank.</summary>
    public static SymDim?[]? Shapes(IEnumerable<IReadOnlyList<SymDim?>?> shapes)
    {
        var list = shapes.ToList();
        if (list.Count == 0 || list.Any(s => s is null)) return null;
        var rank = list.Max(s => s!.Count);
        var result = new SymDim?[rank];
        for (var i = 0; i < rank; i++)
        {
            SymDim? dim = SymDim.One;
            foreach (var s in list)
            {
                var j = i - (rank - s!.Count);
                if (j >= 0) dim = Dim(dim, s[j]);
            }
            result[i] = dim;
        }
        return result;
    }

    /// <summary>Applies <paramref name="op"/> elementwise to two flat value lists broadcast against each other (lengths n and n, or 1).</summary>
    internal static SymDim?[]? Values(SymDim[]? a, SymDim[]? b, Func<SymDim, SymDim, SymDim?> op)
    {
        if (a is null || b is null) return null;
        if (a.Length != b.Length && a.Length != 1 && b.Length != 1) return null;
        var n = Math.Max(a.Length, b.Length);
        if (a.Length == 0 || b.Length == 0) n = 0;
        var result = new SymDim?[n];
        for (var i = 0; i < n; i++) result[i] = op(a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i]);
        return result;
    }
}
