namespace Optimizer.Passes.Pruning;

/// <summary>
/// Channel atoms: one per output channel of every prunable layer (and a few fixed ones). Atoms whose channels must be
/// kept or removed together (the two sides of a residual Add, a squeeze-excitation gate and the tensor it scales) are
/// joined (union-find); a joined set is one unit of pruning, scored by its members' combined norm. An atom is pinned,
/// with a reason, when some consumer cannot follow a removal: its whole unit is then kept.
/// </summary>
public sealed class ChannelAtoms
{
    private readonly List<int> _parent = [];
    private readonly List<double> _sumAbs = [];
    private readonly List<double> _sumSquares = [];
    private readonly List<string?> _pinned = [];

    public int Count => _parent.Count;

    /// <summary>Adds <paramref name="count"/> new atoms and returns their ids.</summary>
    public int[] Add(int count)
    {
        var start = _parent.Count;
        for (var i = 0; i < count; i++)
        {
            _parent.Add(start + i);
            _sumAbs.Add(0);
            _sumSquares.Add(0);
            _pinned.Add(null);
        }
        return Enumerable.Range(start, count).ToArray();
    }

    public int Find(int atom)
    {
        var root = atom;
        while (_parent[root] != root) root = _parent[root];
        while (_parent[atom] != root) (atom, _parent[atom]) = (_parent[atom], root);
        return root;
    }

    public void Join(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        if (ra == rb) return;
        if (ra > rb) (ra, rb) = (rb, ra);
        _parent[rb] = ra;
        _sumAbs[ra] += _sumAbs[rb];
        _sumSquares[ra] += _sumSquares[rb];
        _pinned[ra] ??= _pinned[rb];
    }

    /// <summary>Counts <paramref name="weights"/> (a channel's filter, bias, depthwise filter) into its unit's norm.</summary>
    public void AddWeights(int atom, IEnumerable<float> weights)
    {
        var root = Find(atom);
        foreach (var w in weights)
        {
            _sumAbs[root] += Math.Abs(w);
            _sumSquares[root] += (double)w * w;
        }
    }

    public void Pin(int atom, string reason)
    {
        var root = Find(atom);
        _pinned[root] ??= reason;
    }

    public void Pin(IEnumerable<int> atoms, string reason)
    {
        foreach (var a in atoms) Pin(a, reason);
    }

    /// <summary>Why the unit of <paramref name="atom"/> must be kept, or null when it may go.</summary>
    public string? PinReason(int atom) => _pinned[Find(atom)];

    /// <summary>The combined norm of the unit of <paramref name="atom"/>: the sum of |w| (L1) or the root of the sum of w² (L2).</summary>
    public double Norm(int atom, PruneNorm norm) => norm == PruneNorm.L1 ? _sumAbs[Find(atom)] : Math.Sqrt(_sumSquares[Find(atom)]);
}
