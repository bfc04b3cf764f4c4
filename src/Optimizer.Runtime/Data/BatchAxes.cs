using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Which axis of each input holds the batch: the one dynamic axis named "batch" (or "batch_size", ...), else the one
/// named as the inputs' dynamic first axes are (a recurrent model's state [2,N,128] next to its input [N,sequence]),
/// else a dynamic first axis. A scalar input has none: the batch shares its one value.
/// Where it cannot be known, <see cref="BatchAxis.Unknown"/> says why.
/// </summary>
public static class BatchAxes
{
    public static IReadOnlyDictionary<string, BatchAxis> Of(ModelSignature signature)
    {
        // the names the inputs give their dynamic first axis: what a shared name means by "batch"
        var firstNames = signature.Inputs.Where(i => i.Dims.Length > 0 && i.Dims[0] < 0 && Named(i, 0))
            .Select(i => i.SymbolicDims[0]).ToHashSet(StringComparer.Ordinal);
        return signature.Inputs.ToDictionary(i => i.Name, i => Find(i, firstNames), StringComparer.Ordinal);
    }

    private static bool Named(TensorSpec input, int axis) => axis < input.SymbolicDims.Length && !string.IsNullOrEmpty(input.SymbolicDims[axis]);

    private static BatchAxis Find(TensorSpec input, IReadOnlySet<string> firstNames)
    {
        if (input.Dims.Length == 0) return new BatchAxis(BatchAxis.SharedByTheBatch, null);
        var dynamicAxes = Enumerable.Range(0, input.Dims.Length).Where(a => input.Dims[a] < 0).ToList();
        int? Only(Func<int, bool> named) => dynamicAxes.Where(a => Named(input, a) && named(a)).ToList() is [var only] ? only : null;
        if (Only(a => input.SymbolicDims[a].Contains("batch", StringComparison.OrdinalIgnoreCase)) is { } batch) return new BatchAxis(batch, null);
        if (Only(a => firstNames.Contains(input.SymbolicDims[a])) is { } shared) return new BatchAxis(shared, null);
        if (input.Dims[0] < 0) return new BatchAxis(0, null);
        if (dynamicAxes.Count == 0) return new BatchAxis(0, "it has no dynamic batch axis (its dims are all fixed)");
        var dims = string.Join(", ", dynamicAxes.Select(a => $"axis {a} ('{input.SymbolicName(a)}')"));
        var named = firstNames.Count == 0 ? "'batch'" : $"'batch' or as the other inputs' first axis ({string.Join(", ", firstNames.Select(n => $"'{n}'"))})";
        return new BatchAxis(0, $"its batch axis is not the first: its first axis is fixed at {input.Dims[0]}, and nothing says which of its dynamic dims " +
                                $"({dims}) holds the batch (none is named {named})");
    }
}

/// <summary>
/// The axis an input's samples stack along (0 when unknown), or why it is unknown; a scalar (a sample rate, say) has
/// none: one value serves the whole batch.
/// </summary>
public sealed record BatchAxis(int Axis, string? Unknown)
{
    public const int SharedByTheBatch = -1;

    public bool Shared => Axis == SharedByTheBatch;
}
