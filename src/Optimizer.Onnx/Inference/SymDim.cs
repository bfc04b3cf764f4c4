using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// An integer expression over dimension symbols: the size of a dimension (<c>batch</c>, <c>seq*4</c>,
/// <c>(H+1)//2</c>) or an element of a small shape tensor. Kept in one canonical form, so two equal expressions have
/// the same text and compare equal:
/// <list type="bullet">
/// <item>a sum of terms, each an integer coefficient times a product of atoms, plus a constant;</item>
/// <item>atoms are symbol names, floor divisions <c>(expr)//k</c> and opaque unknowns (see <see cref="IsOpaque"/>);</item>
/// <item>a term is written as its atoms sorted by name, joined by <c>*</c>, then <c>*coefficient</c> when it is
/// not 1 (<c>batch*seq</c>, <c>seq*4</c>); terms are sorted by their atoms' text, the constant comes last
/// (<c>H+W+1</c>, <c>seq*2-1</c>);</item>
/// <item>a floor division keeps a numerator whose coefficients and constant lie in [0, k) and share no factor
/// with k: multiples of k move out (<c>(H-1)//2+1</c> is written <c>(H+1)//2</c>), and a floor division of a floor
/// division becomes one (<c>((H+1)//2+1)//2</c> is <c>(H+3)//4</c>).</item>
/// </list>
/// Operations that cannot be expressed exactly (a division by a symbol that does not divide, an overflow) return
/// null, which callers treat as unknown.
/// </summary>
public sealed class SymDim : IEquatable<SymDim>
{
    private const int MaxTerms = 32;
    private readonly Term[] _terms;
    private readonly long _constant;
    private readonly string _text;

    internal readonly record struct Term(SymAtom[] Atoms, long Coefficient)
    {
        public string Key => string.Join("*", Atoms.Select(a => a.Key));
    }

    private SymDim(Term[] terms, long constant)
    {
        _terms = terms;
        _constant = constant;
        _text = SymDimText.Render(terms, constant);
    }

    public static SymDim Zero { get; } = Const(0);

    public static SymDim One { get; } = Const(1);

    public static SymDim Const(long value) => new([], value);

    /// <summary>A named symbol, as a model's <c>dim_param</c> holds it.</summary>
    public static SymDim Symbol(string name) => FromAtom(new NamedAtom(name));

    /// <summary>An unknown that is the same wherever <paramref name="id"/> is the same; written to a model as an unknown dim.</summary>
    public static SymDim Opaque(string id) => FromAtom(new OpaqueAtom(id, isDimension: true));

    /// <summary>An unknown element of a computed tensor: unlike a dimension, it may be negative or zero.</summary>
    internal static SymDim OpaqueElement(string id) => FromAtom(new OpaqueAtom(id, isDimension: false));

    /// <summary>Whether the expression is made of dimensions only (no unknown element), so it is a size, never -1.</summary>
    internal bool IsSize => !_terms.Any(t => t.Atoms.Any(HasElementAtom));

    /// <summary>Whether the expression cannot be negative: dims combined with non-negative coefficients.</summary>
    internal bool IsNonNegative => IsSize && _constant >= 0 && _terms.All(t => t.Coefficient > 0);

    private static bool HasElementAtom(SymAtom atom) => atom switch
    {
        OpaqueAtom o => !o.IsDimension,
        FloorDivAtom f => !f.Numerator.IsSize,
        _ => false,
    };

    internal static SymDim FromAtom(SymAtom atom) => new([new Term([atom], 1)], 0);

    internal IReadOnlyList<Term> Terms => _terms;

    public bool IsConstant => _terms.Length == 0;

    /// <summary>The value, when the expression is a constant.</summary>
    public long? ConstantValue => IsConstant ? _constant : null;

    /// <summary>Whether the expression involves an unknown without a name: it is then written to a model as an unknown dim.</summary>
    public bool IsOpaque => _terms.Any(t => t.Atoms.Any(a => a.IsOpaque));

    internal bool IsSingleSimpleAtom => _constant == 0 && _terms is [{ Coefficient: 1, Atoms: [{ IsSimple: true }] }];

    /// <summary>The dimension a model carries: static, a symbolic name (the canonical text), or unknown when opaque.</summary>
    public Dim ToDim() => IsConstant ? Dim.Of(_constant) : IsOpaque ? Dim.Unknown : Dim.Symbol(_text);

    /// <summary>The value after replacing symbols by numbers, or null when a symbol is missing or the expression is opaque.</summary>
    public long? Evaluate(IReadOnlyDictionary<string, long> symbols) => SymDimEvaluation.Evaluate(this, symbols);

    public static SymDim? operator +(SymDim? a, SymDim? b) => a is null || b is null ? null : Combine(a, b, 1);

    public static SymDim? operator -(SymDim? a, SymDim? b) => a is null || b is null ? null : Combine(a, b, -1);

    public static SymDim? operator -(SymDim? a) => a is null ? null : Combine(Zero, a, -1);

    public static SymDim? operator *(SymDim? a, SymDim? b)
    {
        if (a is null || b is null) return null;
        if (a.IsConstant && b.IsConstant) return Checked(() => Const(checked(a._constant * b._constant)));
        var sum = new TermSum();
        foreach (var (atomsA, ca) in a.AllTerms())
            foreach (var (atomsB, cb) in b.AllTerms())
                if (!sum.TryAdd(MergeAtoms(atomsA, atomsB), ca, cb)) return null;
        return sum.Build();
    }

    /// <summary><c>floor(this / divisor)</c> for a positive constant divisor.</summary>
    public SymDim? FloorDiv(long divisor) => SymDimDivision.FloorDiv(this, divisor);

    /// <summary><c>ceil(this / divisor)</c> for a positive constant divisor.</summary>
    public SymDim? CeilDiv(long divisor) => divisor <= 0 ? null : (this + Const(divisor - 1))?.FloorDiv(divisor);

    /// <summary><paramref name="a"/> / <paramref name="b"/> when the division is exact as expressions, else null.</summary>
    public static SymDim? ExactDiv(SymDim? a, SymDim? b) => a is null || b is null ? null : SymDimDivision.ExactDiv(a, b);

    public bool Equals(SymDim? other) => other is not null && other._text == _text;

    public override bool Equals(object? obj) => Equals(obj as SymDim);

    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    /// <summary>The canonical text (opaque unknowns show as <c>?id</c>).</summary>
    public override string ToString() => _text;

    /// <summary>The terms with the constant as a term without atoms.</summary>
    internal IEnumerable<(SymAtom[] Atoms, long Coefficient)> AllTerms()
    {
        foreach (var t in _terms) yield return (t.Atoms, t.Coefficient);
        if (_constant != 0) yield return ([], _constant);
    }

    internal long Constant => _constant;

    internal static SymDim Build(IEnumerable<Term> terms, long constant)
    {
        var sorted = terms.Where(t => t.Coefficient != 0).OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        return new SymDim(sorted, constant);
    }

    private static SymDim? Combine(SymDim a, SymDim b, long sign)
    {
        var sum = new TermSum();
        foreach (var (atoms, c) in a.AllTerms())
            if (!sum.TryAdd(atoms, c, 1)) return null;
        foreach (var (atoms, c) in b.AllTerms())
            if (!sum.TryAdd(atoms, c, sign)) return null;
        return sum.Build();
    }

    private static SymAtom[] MergeAtoms(SymAtom[] a, SymAtom[] b) =>
        a.Length == 0 ? b : b.Length == 0 ? a : a.Concat(b).OrderBy(x => x.Key, StringComparer.Ordinal).ToArray();

    private static SymDim? Checked(Func<SymDim> f)
    {
        try { return f(); }
        catch (OverflowException) { return null; }
    }

    /// <summary>Accumulates coefficient * product terms by monomial, with overflow and size checks.</summary>
    internal sealed class TermSum
    {
        private readonly Dictionary<string, Term> _terms = new(StringComparer.Ordinal);
        private long _constant;

        public bool TryAdd(SymAtom[] atoms, long coefficient, long factor)
        {
            try
            {
                var c = checked(coefficient * factor);
                if (atoms.Length == 0)
                {
                    _constant = checked(_constant + c);
                    return true;
                }
                var term = new Term(atoms, c);
                var key = term.Key;
                _terms[key] = _terms.TryGetValue(key, out var old) ? old with { Coefficient = checked(old.Coefficient + c) } : term;
                return _terms.Count <= MaxTerms;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        public SymDim Build() => SymDim.Build(_terms.Values, _constant);
    }
}
