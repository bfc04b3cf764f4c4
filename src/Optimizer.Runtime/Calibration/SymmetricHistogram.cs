using System.Runtime.Intrinsics;
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

    /// <summary>Makes this histogram equal to <paramref name="other"/> (same number of bins).</summary>
    public void CopyFrom(SymmetricHistogram other)
    {
        if (other.BinsPerSign != BinsPerSign) throw new ArgumentException($"{other.BinsPerSign} bins per sign, not {BinsPerSign}", nameof(other));
        other._counts.CopyTo(_counts, 0);
        Limit = other.Limit;
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
    /// One pass over the span: bin indices are computed a vector at a time and counted into four interleaved
    /// per-thread scratch histograms (so runs of equal values, such as the zeros after a ReLU, do not wait on one
    /// counter), which are then added to <see cref="Counts"/>.
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
        var stride = 2 * n;
        var scratch = Scratch(Ways * stride);
        ref var s0 = ref MemoryMarshal.GetArrayDataReference(scratch);
        ref var s1 = ref Unsafe.Add(ref s0, stride);
        ref var s2 = ref Unsafe.Add(ref s1, stride);
        ref var s3 = ref Unsafe.Add(ref s2, stride);
        var i = 0;
        // scratch counters are 32-bit: flush while the sum of the four ways of a bin still fits an int
        const int Flush = 1 << 28;
        var sinceFlush = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vScale = Vector256.Create(scale);
            var vLast = Vector256.Create(n - 1);
            var vMiddle = Vector256.Create(n);
            Span<int> index = stackalloc int[Vector256<int>.Count];
            ref var idx = ref MemoryMarshal.GetReference(index);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(values.Slice(i, Vector256<float>.Count));
                var bin = Vector256.Min(Vector256.ConvertToInt32(Vector256.Abs(v) * vScale), vLast);
                // all ones for a negative value: n + (j ^ -1) = n - 1 - j
                var sign = Vector256.ShiftRightArithmetic(v.AsInt32(), 31);
                (vMiddle + (bin ^ sign)).StoreUnsafe(ref idx);
                Unsafe.Add(ref s0, idx)++;
                Unsafe.Add(ref s1, Unsafe.Add(ref idx, 1))++;
                Unsafe.Add(ref s2, Unsafe.Add(ref idx, 2))++;
                Unsafe.Add(ref s3, Unsafe.Add(ref idx, 3))++;
                Unsafe.Add(ref s0, Unsafe.Add(ref idx, 4))++;
                Unsafe.Add(ref s1, Unsafe.Add(ref idx, 5))++;
                Unsafe.Add(ref s2, Unsafe.Add(ref idx, 6))++;
                Unsafe.Add(ref s3, Unsafe.Add(ref idx, 7))++;
                if ((sinceFlush += 2) >= Flush)
                {
                    FlushScratch(scratch);
                    sinceFlush = 0;
                }
            }
        }
        for (; i < values.Length; i++)
        {
            var x = values[i];
            var bin = Math.Min((int)(MathF.Abs(x) * scale), n - 1);
            var sign = BitConverter.SingleToInt32Bits(x) >> 31;
            Unsafe.Add(ref s0, n + (bin ^ sign))++;
        }
        FlushScratch(scratch);
    }

    private const int Ways = 4;

    [ThreadStatic] private static int[]? _scratch;

    /// <summary>This thread's zeroed scratch counters, at least <paramref name="length"/> long.</summary>
    private static int[] Scratch(int length)
    {
        if (_scratch is null || _scratch.Length < length) _scratch = new int[length];
        return _scratch;
    }

    /// <summary>Adds the scratch histograms to the counts and zeroes them (a vector of bins at a time).</summary>
    private void FlushScratch(int[] scratch)
    {
        var stride = 2 * BinsPerSign;
        var ways = scratch.AsSpan(0, Ways * stride);
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var s0 = ref MemoryMarshal.GetArrayDataReference(scratch);
            ref var counts = ref MemoryMarshal.GetArrayDataReference(_counts);
            for (; j <= stride - Vector256<int>.Count; j += Vector256<int>.Count)
            {
                var sum = Vector256.LoadUnsafe(ref s0, (nuint)j) + Vector256.LoadUnsafe(ref s0, (nuint)(j + stride))
                          + Vector256.LoadUnsafe(ref s0, (nuint)(j + 2 * stride)) + Vector256.LoadUnsafe(ref s0, (nuint)(j + 3 * stride));
                // four counters each at most 2^28 and a few (see Add): their sum fits an int
                var (low, high) = Vector256.Widen(sum);
                (Vector256.LoadUnsafe(ref counts, (nuint)j) + low).StoreUnsafe(ref counts, (nuint)j);
                (Vector256.LoadUnsafe(ref counts, (nuint)(j + 4)) + high).StoreUnsafe(ref counts, (nuint)(j + 4));
            }
        }
        for (; j < stride; j++)
            _counts[j] += scratch[j] + scratch[j + stride] + scratch[j + 2 * stride] + scratch[j + 3 * stride];
        ways.Clear();
    }
}
