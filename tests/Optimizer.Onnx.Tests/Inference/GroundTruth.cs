using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>Compares inferred types with the shapes a real run produced, and tallies what was known.</summary>
internal sealed class GroundTruth
{
    public int Values { get; private set; }

    /// <summary>Values inference gave a tensor type (the others are not checked at all).</summary>
    public int Typed { get; private set; }

    /// <summary>Typed values inference also gave a shape (of the right rank or not); only these have dims checked.</summary>
    public int Shaped { get; private set; }

    /// <summary>Values whose every dim is known: static or a named symbol or expression.</summary>
    public int FullyKnown { get; private set; }

    public int FullyStatic { get; private set; }

    public int DimsChecked { get; private set; }

    public List<string> Mismatches { get; } = [];

    /// <summary>
    /// Checks <paramref name="value"/>'s written type against the real element type and dims: every static dim must
    /// equal the real one, every symbolic one must evaluate to it with <paramref name="symbols"/> (when it can).
    /// </summary>
    public void Check(string where, Value value, ElementType realType, IReadOnlyList<long> realDims,
        IReadOnlyDictionary<string, long>? symbols = null, ShapeInferenceResult? result = null)
    {
        Values++;
        if (value.Type is not TensorTypeInfo type) return;
        Typed++;
        if (type.ElementType != realType)
            Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real {realType.ShortName()}");
        if (type.Shape is null) return;
        Shaped++;
        if (type.Shape.Rank != realDims.Count)
        {
            Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real [{string.Join(",", realDims)}]");
            return;
        }
        if (type.Shape.IsStatic) FullyStatic++;
        if (type.Shape.Dims.All(d => d.IsStatic || d.IsSymbolic)) FullyKnown++;
        for (var i = 0; i < realDims.Count; i++)
        {
            var d = type.Shape[i];
            var expected = d.Value ?? (d.Param is { } p ? Evaluate(value, i, p, symbols, result) : null);
            if (expected is null) continue;
            DimsChecked++;
            if (expected != realDims[i])
                Mismatches.Add($"{where}: '{value.Name}' inferred {type}, real [{string.Join(",", realDims)}]");
        }
    }

    /// <summary>
    /// A symbolic dim's value for the symbols' sizes: the expression inference kept for it, which must be the one
    /// written (its canonical text); or a plain symbol.
    /// </summary>
    private long? Evaluate(Value value, int index, string param, IReadOnlyDictionary<string, long>? symbols, ShapeInferenceResult? result)
    {
        if (symbols is null) return null;
        if (result is not null && result.TryGetShape(value, out var shape) && shape[index] is { IsOpaque: false } expr)
        {
            if (expr.ToString() != param) Mismatches.Add($"'{value.Name}' dim {index} written as {param}, inferred {expr}");
            return expr.Evaluate(symbols);
        }
        return symbols.TryGetValue(param, out var v) ? v : null;
    }

    public string Summary =>
        $"{Values} values, {Typed} typed, {Shaped} with a shape, {FullyKnown} with full shape known ({100.0 * FullyKnown / Math.Max(1, Values):F1}%), {FullyStatic} static, {DimsChecked} dims checked, {Mismatches.Count} mismatches";
}
