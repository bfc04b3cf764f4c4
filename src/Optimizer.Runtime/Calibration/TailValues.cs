using System.Numerics;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The extreme values of a stream, enough of them to read a high percentile exactly without a histogram: the largest
/// and the smallest values (or, <see cref="Absolute"/>, the largest |x|). A percentile beyond <c>100 (1 - Share)</c> is
/// an order statistic among the few values past it, so each side keeps the values above a floor that rises as the
/// stream grows, at least twice as many as the share asks for plus a margin, and drops the rest. Folding a batch is
/// a vectorized comparison with the floors (the few values past them are copied); a histogram counts every value.
/// <para>
/// Exactness: every dropped value is at most its side's floor. When the value of the rank asked for is among those
/// kept and at or above the floor, no dropped value can outrank it and it is exact (the rule holds for any stream
/// whose extremes are not all in its first part); otherwise the floor is returned, the conservative answer (a range at
/// least as wide as asked) and <see cref="Exact"/> says so.
/// </para>
/// <para>Memory grows with the share asked for: about <c>2 Share</c> of the values folded, 0.02 % for the 99.99th percentile.</para>
/// </summary>
public sealed class TailValues
{
    /// <summary>The largest share calibration keeps tails for (the 99.9th percentile of |x|); beyond it, a histogram.</summary>
    public const double MaxShare = 1e-3;

    private const int Chunk = 4096;
    private const int Margin = 256;
    private Side _upper = new();
    private Side _lower = new();

    /// <param name="share">The largest share of values a percentile read from these tails may cut from one side, in (0, 1).</param>
    /// <param name="absolute">Keep the largest |x| (for symmetric ranges) instead of the largest and smallest x.</param>
    public TailValues(double share, bool absolute)
    {
        if (!(share >= 0 && share < 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "a share in [0, 1)");
        Share = share;
        Absolute = absolute;
    }

    public double Share { get; }

    public bool Absolute { get; }

    /// <summary>Values folded.</summary>
    public long Count { get; private set; }

    /// <summary>Values kept now, both sides (what the tails cost in memory, in floats).</summary>
    public int Kept => _upper.Length + _lower.Length;

    /// <summary>False when a value read so far had to be the conservative floor (see the class summary).</summary>
    public bool Exact { get; private set; } = true;

    /// <summary>
    /// Folds the finite values of <paramref name="values"/>, a chunk at a time: one vectorized pass compares each vector
    /// with both floors, and only a vector holding a value past one, or a NaN or infinity, is looked at value by value.
    /// Returns how many values were not finite (left out, and not in <see cref="Count"/>).
    /// </summary>
    public long Add(ReadOnlySpan<float> values)
    {
        long nonFinite = 0;
        for (var start = 0; start < values.Length; start += Chunk)
        {
            var chunk = values.Slice(start, Math.Min(Chunk, values.Length - start));
            var skipped = 0;
            var i = 0;
            var width = Vector<float>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                // x above the upper floor or below minus the lower floor (the lower side keeps -x); |x| above the floor;
                // NaN fails every comparison and infinity is beyond float.MaxValue
                var upper = new Vector<float>(_upper.Floor);
                var lower = new Vector<float>(-_lower.Floor);
                var largest = new Vector<float>(float.MaxValue);
                for (; i <= chunk.Length - width; i += width)
                {
                    var v = new Vector<float>(chunk.Slice(i, width));
                    var abs = Vector.Abs(v);
                    var past = (Absolute ? Vector.GreaterThan(abs, upper) : Vector.GreaterThan(v, upper) | Vector.LessThan(v, lower))
                               | ~Vector.LessThanOrEqual(abs, largest);
                    if (Vector.EqualsAll(past, Vector<int>.Zero)) continue;
                    foreach (var x in chunk.Slice(i, width)) skipped += Offer(x);
                    upper = new Vector<float>(_upper.Floor);
                    lower = new Vector<float>(-_lower.Floor);
                }
            }
            foreach (var x in chunk[i..]) skipped += Offer(x);
            Count += chunk.Length - skipped;
            nonFinite += skipped;
            var keep = Keep(Count);
            _upper.Prune(keep);
            _lower.Prune(keep);
        }
        return nonFinite;
    }

    /// <summary>The largest value folded (of |x| for <see cref="Absolute"/> tails); never dropped, so exact. Negative infinity before any.</summary>
    public float Max => _upper.Top;

    /// <summary>The smallest value folded (not for <see cref="Absolute"/> tails). Positive infinity before any.</summary>
    public float Min => -_lower.Top;

    /// <summary>Offers a value to the sides; 1 when it is not finite (and left out), else 0.</summary>
    private int Offer(float x)
    {
        if (!float.IsFinite(x)) return 1;
        if (Absolute)
        {
            _upper.Offer(MathF.Abs(x));
            return 0;
        }
        _upper.Offer(x);
        _lower.Offer(-x);
        return 0;
    }

    /// <summary>The values each side keeps at least when it drops some: twice the share of <paramref name="count"/>, plus a margin.</summary>
    private long Keep(long count) => 2 * (long)Math.Ceiling(Share * count) + Margin;

    /// <summary>Whether a percentile cutting <paramref name="share"/> of the values from a side can be read from these tails.</summary>
    public bool Answers(double share) => share <= Share;

    /// <summary>The <paramref name="rank"/>-th largest x (1 for the largest), or of |x| when <see cref="Absolute"/>.</summary>
    public double Largest(long rank) => Read(_upper, rank, negate: false);

    /// <summary>The <paramref name="rank"/>-th smallest x (1 for the smallest); not for <see cref="Absolute"/> tails.</summary>
    public double Smallest(long rank)
    {
        if (Absolute) throw new InvalidOperationException("tails of |x| keep no smallest values");
        return Read(_lower, rank, negate: true);
    }

    /// <summary>An exact copy (for a tensor observed through another holding the same values).</summary>
    public TailValues Copy()
    {
        var copy = new TailValues(Share, Absolute) { Count = Count, Exact = Exact };
        _upper.CopyTo(copy._upper);
        _lower.CopyTo(copy._lower);
        return copy;
    }

    /// <summary>
    /// The tails of f(x) over the same values, f the monotone <paramref name="map"/>: each kept value and floor mapped
    /// (the sides swapped when f decreases), so every rank reads as f of the source's rank, as exact as before. Tails
    /// of |x| need an odd map (|f(x)| a function of |x|).
    /// </summary>
    public TailValues Through(ValueMap map)
    {
        var copy = Copy();
        if (map.IsIdentity) return copy;
        if (Absolute)
        {
            if (!map.Odd) throw new InvalidOperationException($"tails of |x| do not carry through {map}, which is not odd");
            copy._upper = _upper.Mapped(a => MathF.Abs(map.Apply(a)));
        }
        else if (map.Increasing)
        {
            copy._upper = _upper.Mapped(map.Apply);
            copy._lower = _lower.Mapped(s => -map.Apply(-s));
        }
        else
        {
            // the largest f(x) come from the smallest x, which the lower side keeps as -x
            copy._upper = _lower.Mapped(s => map.Apply(-s));
            copy._lower = _upper.Mapped(u => -map.Apply(u));
        }
        return copy;
    }

    private double Read(Side side, long rank, bool negate)
    {
        if (rank < 1 || rank > Count) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"a rank in 1..{Count}");
        var (value, exact) = side.Largest(rank);
        if (!exact) Exact = false;
        return negate ? -value : value;
    }

    /// <summary>One side: the largest values seen (of x, -x or |x|), unordered, above <see cref="Floor"/>.</summary>
    private sealed class Side
    {
        private float[] _values = new float[256];

        /// <summary>Every value dropped is at most this (negative infinity while none was).</summary>
        public float Floor { get; private set; } = float.NegativeInfinity;

        public int Length { get; private set; }

        /// <summary>The largest value offered (every value dropped is below it). Negative infinity before any.</summary>
        public float Top { get; private set; } = float.NegativeInfinity;

        /// <summary>Keeps <paramref name="v"/> when it is above the floor.</summary>
        public void Offer(float v)
        {
            if (!(v > Floor)) return;
            if (v > Top) Top = v;
            if (Length == _values.Length) Array.Resize(ref _values, _values.Length * 2);
            _values[Length++] = v;
        }

        /// <summary>Above twice what must be kept, drops all but the <paramref name="keep"/> largest and raises the floor.</summary>
        public void Prune(long keep)
        {
            if (Length <= 2 * keep) return;
            var values = _values.AsSpan(0, Length);
            var drop = Length - (int)keep;
            SelectNth(values, drop);
            var dropped = float.NegativeInfinity;
            foreach (var v in values[..drop]) dropped = MathF.Max(dropped, v);
            Floor = MathF.Max(Floor, dropped);
            values[drop..].CopyTo(values);
            Length = (int)keep;
        }

        /// <summary>
        /// Rearranges <paramref name="a"/> so that <c>a[k]</c> is the value of rank k (from 0, ascending), everything
        /// before it at most it and everything after at least it (quickselect, pivot the median of three).
        /// </summary>
        private static void SelectNth(Span<float> a, int k)
        {
            int lo = 0, hi = a.Length - 1;
            while (hi > lo)
            {
                var mid = lo + (hi - lo) / 2;
                if (a[mid] < a[lo]) (a[mid], a[lo]) = (a[lo], a[mid]);
                if (a[hi] < a[lo]) (a[hi], a[lo]) = (a[lo], a[hi]);
                if (a[hi] < a[mid]) (a[hi], a[mid]) = (a[mid], a[hi]);
                var pivot = a[mid];
                int i = lo, j = hi;
                while (i <= j)
                {
                    while (a[i] < pivot) i++;
                    while (a[j] > pivot) j--;
                    if (i > j) break;
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
                if (k <= j) hi = j;
                else if (k >= i) lo = i;
                else return;
            }
        }

        public (float Value, bool Exact) Largest(long rank)
        {
            if (rank > Length) return (Floor, false);
            var sorted = _values.AsSpan(0, Length).ToArray();
            Array.Sort(sorted);
            var value = sorted[Length - (int)rank];
            return value >= Floor ? (value, true) : (Floor, false);
        }

        /// <summary>
        /// This side with <paramref name="g"/> applied to every value and to the floor (g non-decreasing, so every value
        /// dropped is still at most the floor); a side that dropped nothing keeps an infinite floor.
        /// </summary>
        public Side Mapped(Func<float, float> g)
        {
            var mapped = new Side();
            CopyTo(mapped);
            for (var i = 0; i < Length; i++) mapped._values[i] = g(_values[i]);
            mapped.Floor = float.IsNegativeInfinity(Floor) ? Floor : g(Floor);
            mapped.Top = float.IsNegativeInfinity(Top) ? Top : g(Top);
            return mapped;
        }

        public void CopyTo(Side other)
        {
            other._values = _values.AsSpan(0, Length).ToArray();
            if (other._values.Length == 0) other._values = new float[256];
            other.Length = Length;
            other.Floor = Floor;
            other.Top = Top;
        }
    }
}
