namespace Optimizer.Onnx.Inference;

/// <summary>Evaluates a <see cref="SymDim"/> for given symbol values (to compare with the shapes a run produced).</summary>
internal static class SymDimEvaluation
{
    public static long? Evaluate(SymDim dim, IReadOnlyDictionary<string, long> symbols)
    {
        try
        {
            long total = dim.Constant;
            foreach (var term in dim.Terms)
            {
                var product = term.Coefficient;
                foreach (var atom in term.Atoms)
                {
                    var value = Evaluate(atom, symbols);
                    if (value is null) return null;
                    product = checked(product * value.Value);
                }
                total = checked(total + product);
            }
            return total;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static long? Evaluate(SymAtom atom, IReadOnlyDictionary<string, long> symbols) => atom switch
    {
        NamedAtom n => symbols.TryGetValue(n.Name, out var v) ? v : null,
        FloorDivAtom f => f.Numerator.Evaluate(symbols) is { } x ? SymDimDivision.FloorDivide(x, f.Divisor) : null,
        _ => null,
    };
}
