namespace Optimizer.Onnx.Inference;

/// <summary>
/// A factor of a <see cref="SymDim"/> term that arithmetic cannot break down further: a named symbol (<c>batch</c>),
/// an opaque unknown tied to one value (never written to a model), or a floor division <c>(expr)//k</c>.
/// Atoms are compared by <see cref="Key"/>, their canonical text.
/// </summary>
internal abstract class SymAtom
{
    protected SymAtom(string key) => Key = key;

    public string Key { get; }

    /// <summary>Whether the atom (or an atom inside it) is an unknown that has no name a model can carry.</summary>
    public abstract bool IsOpaque { get; }

    /// <summary>Whether the text needs no parentheses when multiplied by something else.</summary>
    public abstract bool IsSimple { get; }

    public override string ToString() => Key;
}

internal sealed class NamedAtom(string name) : SymAtom(name)
{
    public string Name { get; } = name;

    public override bool IsOpaque => false;

    // Names such as "p2o.DynamicDimension.0" are simple; one read back holding operators ("seq*4") is not.
    public override bool IsSimple => Name.All(c => char.IsLetterOrDigit(c) || c is '_' or '.');
}

/// <summary>
/// An unknown dimension or element that stays the same wherever the same value is read. A dimension is never
/// negative; an element of a computed tensor may be anything (-1 in a Reshape target, for one).
/// </summary>
internal sealed class OpaqueAtom(string id, bool isDimension) : SymAtom("?" + id)
{
    public bool IsDimension { get; } = isDimension;

    public override bool IsOpaque => true;

    public override bool IsSimple => true;
}

/// <summary><c>floor(Numerator / Divisor)</c> with a positive divisor and a numerator that is not a multiple of it.</summary>
internal sealed class FloorDivAtom(SymDim numerator, long divisor)
    : SymAtom((numerator.IsSingleSimpleAtom ? numerator.ToString() : "(" + numerator + ")") + "//" + divisor)
{
    public SymDim Numerator { get; } = numerator;

    public long Divisor { get; } = divisor;

    public override bool IsOpaque => Numerator.IsOpaque;

    public override bool IsSimple => false;
}
