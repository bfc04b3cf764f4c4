namespace Optimizer.Onnx.Inference;

/// <summary>Division of <see cref="SymDim"/> expressions: floor division by a constant, and exact division.</summary>
internal static class SymDimDivision
{
    /// <summary>
    /// floor(a / k), k &gt; 0. With a = k*Q + R (each coefficient split by Euclid, remainders in [0, k)),
    /// floor(a / k) = Q + floor(R / k); R is then reduced by the common factor of its coefficients and k, and
    /// floor((floor(X / j) + S) / k) = floor((X + j*S) / (j*k)) removes a nested division.
    /// </summary>
    public static SymDim? FloorDiv(SymDim a, long k)
    {
        if (k <= 0) return null;
        if (k == 1) return a;
        if (a.IsConstant) return SymDim.Const(FloorDivide(a.Constant, k));
        var quotient = new SymDim.TermSum();
        var remainder = new List<SymDim.Term>();
        foreach (var (atoms, c) in a.AllTerms())
        {
            var q = FloorDivide(c, k);
            if (!quotient.TryAdd(atoms, q, 1)) return null;
            if (c - q * k != 0) remainder.Add(new SymDim.Term(atoms, c - q * k));
        }
        var q0 = quotient.Build();
        var r = remainder.Where(t => t.Atoms.Length > 0).ToList();
        var r0 = remainder.Where(t => t.Atoms.Length == 0).Sum(t => t.Coefficient);
        if (r.Count == 0) return q0; // 0 <= r0 < k
        var g = r.Aggregate(Gcd(k, r0), (acc, t) => Gcd(acc, t.Coefficient));
        if (g > 1)
        {
            r = r.Select(t => t with { Coefficient = t.Coefficient / g }).ToList();
            r0 /= g;
            k /= g;
        }
        var rest = SymDim.Build(r, r0);
        var nested = r.FindIndex(t => t is { Coefficient: 1, Atoms: [FloorDivAtom] });
        if (nested >= 0)
        {
            var inner = (FloorDivAtom)r[nested].Atoms[0];
            var others = SymDim.Build(r.Where((_, i) => i != nested), r0);
            var combined = inner.Numerator + others * SymDim.Const(inner.Divisor);
            long divisor;
            try { divisor = checked(inner.Divisor * k); }
            catch (OverflowException) { return null; }
            return q0 + combined?.FloorDiv(divisor);
        }
        return q0 + SymDim.FromAtom(new FloorDivAtom(rest, k));
    }

    /// <summary>a / b when b divides every term of a (b a constant or a single product), else null.</summary>
    public static SymDim? ExactDiv(SymDim a, SymDim b)
    {
        if (a.Equals(b) && !b.Equals(SymDim.Zero)) return SymDim.One;
        if (b.IsConstant)
        {
            var c = b.Constant;
            if (c == 0) return null;
            if (a.AllTerms().Any(t => t.Coefficient % c != 0)) return null;
            return SymDim.Build(a.Terms.Select(t => t with { Coefficient = t.Coefficient / c }), a.Constant / c);
        }
        if (b.Constant != 0 || b.Terms.Count != 1 || a.Constant != 0) return null;
        var divisor = b.Terms[0];
        var result = new List<SymDim.Term>();
        foreach (var t in a.Terms)
        {
            if (t.Coefficient % divisor.Coefficient != 0) return null;
            var left = RemoveAtoms(t.Atoms, divisor.Atoms);
            if (left is null) return null;
            result.Add(new SymDim.Term(left, t.Coefficient / divisor.Coefficient));
        }
        var constant = result.Where(t => t.Atoms.Length == 0).Sum(t => t.Coefficient);
        return SymDim.Build(result.Where(t => t.Atoms.Length > 0), constant);
    }

    public static long FloorDivide(long a, long k)
    {
        var q = a / k;
        return (a % k != 0 && (a < 0) != (k < 0)) ? q - 1 : q;
    }

    private static SymAtom[]? RemoveAtoms(SymAtom[] from, SymAtom[] remove)
    {
        var left = from.ToList();
        foreach (var atom in remove)
        {
            var i = left.FindIndex(x => x.Key == atom.Key);
            if (i < 0) return null;
            left.RemoveAt(i);
        }
        return left.ToArray();
    }

    private static long Gcd(long a, long b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
