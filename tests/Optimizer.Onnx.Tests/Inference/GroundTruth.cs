using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>Compares inferred types with the shapes a real run produced, and tallies what was known.</summary>
internal sealed class GroundTruth
{
    public int Values { get; private set; }

    public int FullyKnown { get; private set; }

    public int DimsChecked { get; private set; }

    public List<string> Mismatches { get; } = [];

    /// <summary>
    /// Checks <paramref name="value"/>'s written type against the real element type and dims: every static dim must
    /// equal the real one, every symbolic one must evaluate to it with <paramref name="symbols"/> (when it can).
    /// </summary>
    public void Check(string where, Value value, ElementType realType, IReadOnlyList<long> realDims, IReadOnlyDictionary<string, long> symbols)
    {
        Values++;
        if (value.Type is not TensorTypeInfo type) return;
        if (type.ElementType != realType)
            Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real {realType.ShortName()}");
        if (type.Shape is null) return;
        if (type.Shape.Rank != realDims.Count)
        {
            Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real [{string.Join(",", realDims)}]");
            return;
        }
        if (type.Shape.IsStatic) FullyKnown++;
        for (var i = 0; i < realDims.Count; i++)
        {
            var d = type.Shape[i];
            var expected = d.Value ?? (d.Param is { } p ? Evaluate(p, symbols) : null);
            if (expected is null) continue;
            DimsChecked++;
            if (expected != realDims[i])
                Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real [{string.Join(",", realDims)}]");
        }
    }

    /// <summary>A symbolic dim's value: a plain symbol, or an expression re-derived by the caller's symbol table.</summary>
    private static long? Evaluate(string param, IReadOnlyDictionary<string, long> symbols) => symbols.TryGetValue(param, out var v) ? v : null;

    public string Summary => $"{Values} values, {FullyKnown} fully static, {DimsChecked} dims checked, {Mismatches.Count} mismatches";
}
