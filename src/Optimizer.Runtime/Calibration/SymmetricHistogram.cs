using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// A histogram of x over <c>[-Limit, Limit]</c> with a fixed number of bins per sign, whose |x| view (the two halves
/// folded) is the histogram TensorRT's and ONNX Runtime's histogram calibrators keep. Memory is fixed at creation:
/// when values beyond <see cref="Limit"/> arrive, <see cref="Cover"/> widens the range by a whole factor k and merges
/// every k old bins into one new bin, which holds exactly the values the old ones held (no count is spread).
/// <para>
/// Bins per sign: bin j of the positive half holds <c>jw &lt;= x &lt; (j+1)w</c> (w = Limit / BinsPerSign); bin j of the
/// negative half holds <c>jw &lt;= |x| &lt; (j+1)w</c> for negative x (and -0). A value equal to Limit falls in the last bin.
/// In <see cref="Counts"/> the negative half comes first, mirrored: index <c>BinsPerSign - 1 - j</c> for negative bin j,
/// <c>BinsPerSign + j</c> for positive bin j, so the array reads from -Limit to +Limit.
/// </para>
/// </summary>
public sealed class SymmetricHistogram
{
    private readonly long[] _counts;

    public SymmetricHistogram(int binsPerSign)
    {
        if (binsPerSign < 1) throw new ArgumentOutOfRangeException(nameof(binsPerSign), binsPerSign, "at least one bin");
        BinsPerSign = binsPerSign;
        _counts = new long[2 * binsPerSign];
    }

    public int BinsPerSign { get; }

    /// <summary>The histogram covers <c>[-Limit, Limit]</c>; 0 until a non-zero value has been seen.</summary>
    public double Limit { get; private set; }

    /// <summary>Width of one bin (<c>Limit / BinsPerSign</c>).</summary>
    public double BinWidth => Limit / BinsPerSign;

    /// <summary>The counts from -Limit to +Limit (see the class summary for the layout).</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>The histogram of |x|: bin j holds <c>jw &lt;= |x| &lt; (j+1)w</c> (the two halves folded).</summary>
    public long[] Absolute()
    {
        var abs = new long[BinsPerSign];
        for (var j = 0; j < BinsPerSign; j++) abs[j] = _counts[BinsPerSign + j] + _counts[BinsPerSign - 1 - j];
        return abs;
    }

    /// <summary>
    /// Widens the range to hold <paramref name="amax"/>: the new limit is the old one times the smallest whole k that
    /// reaches amax, and old bin j of each half goes to new bin j / k. The first non-zero amax just sets the limit
    /// (everything seen before was zero, which is bin 0 of any range). When k would reach the bin count, every old
    /// value lies in the new bin 0 and the limit becomes amax itself.
    /// </summary>
    public void Cover(double amax)
    {
        if (!(amax <= Limit)) Grow(amax);
    }

    private void Grow(double amax)
    {
        if (!double.IsFinite(amax)) throw new ArgumentOutOfRangeException(nameof(amax), amax, "the histogram only holds finite values");
        if (Limit == 0)
        {
            Limit = amax;
            return;
        }
        var k = Math.Ceiling(amax / Limit);
        while (k < BinsPerSign && Limit * k < amax) k++;
        if (k >= BinsPerSign)
        {
            Merge(BinsPerSign);
            Limit = amax;
            return;
        }
        Merge((int)k);
        Limit *= k;
    }

    /// <summary>Old bin j of each half goes to bin j / factor (a factor of at least the bin count puts all in bin 0).</summary>
    private void Merge(int factor)
    {
        var n = BinsPerSign;
        for (var j = 0; j < n; j++)
        {
            var target = j / factor;
            if (target == j) continue;
            _counts[n + target] += _counts[n + j];
            _counts[n + j] = 0;
            _counts[n - 1 - target] += _counts[n - 1 - j];
            _counts[n - 1 - j] = 0;
        }
    }

    /// <summary>
    /// Counts finite values whose |x| is at most <see cref="Limit"/> (call <see cref="Cover"/> with their amax first).
    /// One pass over the span: bin indices are computed a vector at a time, then counted.
    /// </summary>
    public void Add(ReadOnlySpan<float> values)
    {
        var n = BinsPerSign;
        if (Limit == 0)
        {
            // only zeros can be within a zero limit
            _counts[n] += values.Length;
            return;
        }
        var scale = (float)(n / Limit);
        ref var counts = ref MemoryMarshal.GetArrayDataReference(_counts);
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vScale = new Vector<float>(scale);
            var vLast = new Vector<int>(n - 1);
            var vMiddle = new Vector<int>(n);
            var width = Vector<float>.Count;
            for (; i <= values.Length - width; i += width)
            {
                var v = new Vector<float>(values.Slice(i, width));
                var bin = Vector.Min(Vector.ConvertToInt32(Vector.Abs(v) * vScale), vLast);
                // all ones for a negative value: n + (j ^ -1) = n - 1 - j
                var sign = Vector.ShiftRightArithmetic(Vector.AsVectorInt32(v), 31);
                var index = vMiddle + (bin ^ sign);
                for (var k = 0; k < width; k++) Unsafe.Add(ref counts, index[k])++;
            }
        }
        for (; i < values.Length; i++)
        {
            var x = values[i];
            var bin = Math.Min((int)(MathF.Abs(x) * scale), n - 1);
            var sign = BitConverter.SingleToInt32Bits(x) >> 31;
            Unsafe.Add(ref counts, n + (bin ^ sign))++;
        }
    }
}
