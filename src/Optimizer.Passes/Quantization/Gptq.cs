namespace Optimizer.Passes.Quantization;

/// <summary>What <see cref="Gptq.Round"/> made of one weight matrix: the weights to store and the error it minimizes.</summary>
/// <param name="Weights">Rows × K floats, each exactly an integer in [-127, 127] times its row's scale.</param>
/// <param name="NearestError">tr(E H Eᵀ) with round-to-nearest's error E: the summed squared output error on the data H came from.</param>
/// <param name="Error">The same for <paramref name="Weights"/>.</param>
public sealed record GptqResult(float[] Weights, double NearestError, double Error);

/// <summary>
/// GPTQ (Frantar et al., 2022, "Accurate post-training quantization for generative pre-trained transformers", after
/// Optimal Brain Quantization): the int8 weights of a linear map W (rows = output channels, K inputs) chosen to
/// minimize the output error ‖(W − Q)X‖² on calibration inputs X, not each weight's own error. The inputs are quantized
/// one at a time (the most active first); the error each one's rounding leaves is moved onto the inputs not yet
/// quantized, through the inverse of H = XXᵀ (via its Cholesky factor), which is the optimal compensation. The scales
/// stay those round-to-nearest gives (the largest |w| of a row, or of the tensor, maps to 127): each row's largest
/// weight is held at ±127 so that quantizing the result again with the usual scales gives back exactly these
/// integers. Pure arithmetic on arrays.
/// </summary>
public static class Gptq
{
    /// <summary>Dampening added to H's diagonal, relative to its mean (GPTQ's 1 %): keeps H invertible where inputs are correlated or dead.</summary>
    public const double Dampening = 0.01;

    /// <param name="weights">Rows × K, row-major (a row is one output channel's weights, in the input order of <paramref name="gram"/>).</param>
    /// <param name="gram">K × K, Σ x xᵀ over the inputs x the K weights of a row multiply (symmetric; only its values are read).</param>
    /// <param name="scales">One scale per row.</param>
    /// <param name="pinned">Per row, the column held at ±127 (its largest |w|, which defines the scale), or -1 for none.</param>
    public static GptqResult Round(float[] weights, int rows, int k, double[] gram, float[] scales, int[] pinned)
    {
        if (weights.Length != rows * k) throw new ArgumentException($"{weights.Length} weights, not {rows} × {k}", nameof(weights));
        if (gram.Length != k * k) throw new ArgumentException($"a {k} × {k} matrix has {k * k} values, not {gram.Length}", nameof(gram));
        var h = Dampened(gram, k);
        // the most active inputs first: their rounding error can still be moved onto many others
        var order = Enumerable.Range(0, k).OrderByDescending(i => h[i * k + i]).ThenBy(i => i).ToArray();
        var permuted = new double[k * k];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++) permuted[i * k + j] = h[order[i] * k + order[j]];
        var u = InverseCholeskyUpper(permuted, k);
        var nearest = new float[weights.Length];
        var result = new float[weights.Length];
        var position = new int[k];
        for (var i = 0; i < k; i++) position[order[i]] = i;
        Parallel.For(0, rows, r =>
        {
            var s = scales[r];
            var w = new double[k];
            for (var i = 0; i < k; i++) w[i] = weights[r * k + order[i]];
            var pin = pinned[r] >= 0 ? position[pinned[r]] : -1;
            var q = new double[k];
            for (var j = 0; j < k; j++)
            {
                var target = j == pin ? Math.Sign(weights[r * k + pinned[r]]) * 127.0 : Math.Clamp(Math.Round(w[j] / s, MidpointRounding.ToEven), -127, 127);
                q[j] = target;
                var error = (w[j] - target * s) / u[j * k + j];
                if (error == 0) continue;
                Axpy(-error, u.AsSpan(j * k + j + 1, k - j - 1), w.AsSpan(j + 1));
            }
            for (var i = 0; i < k; i++)
            {
                result[r * k + order[i]] = (float)(q[i] * s);
                nearest[r * k + order[i]] = s * (float)Math.Clamp(Math.Round(weights[r * k + order[i]] / s, MidpointRounding.ToEven), -127, 127);
            }
        });
        return new GptqResult(result, OutputError(weights, nearest, rows, k, gram), OutputError(weights, result, rows, k, gram));
    }

    /// <summary>H plus <see cref="Dampening"/> × mean diagonal on the diagonal; an input never active gets 1 there.</summary>
    private static double[] Dampened(double[] gram, int k)
    {
        var h = (double[])gram.Clone();
        var mean = 0d;
        for (var i = 0; i < k; i++) mean += h[i * k + i];
        mean /= k;
        var damp = Dampening * (mean > 0 ? mean : 1);
        for (var i = 0; i < k; i++)
        {
            if (h[i * k + i] <= 0) h[i * k + i] = 1;
            h[i * k + i] += damp;
        }
        return h;
    }

    /// <summary>
    /// The upper triangular U with H⁻¹ = UᵀU (row-major K × K). With J the reversal of the K indices, the Cholesky factor
    /// M of JHJ gives H = ŨŨᵀ for the upper triangular Ũ = JMJ, so H⁻¹ = Ũ⁻ᵀŨ⁻¹ and U = Ũ⁻¹: one factorization and one
    /// triangular inversion, both reading rows.
    /// </summary>
    internal static double[] InverseCholeskyUpper(double[] h, int k)
    {
        var reversed = new double[k * k];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++) reversed[i * k + j] = h[(k - 1 - i) * k + (k - 1 - j)];
        var m = Cholesky(reversed, k);
        var upper = new double[k * k];
        for (var i = 0; i < k; i++)
            for (var j = i; j < k; j++) upper[i * k + j] = m[(k - 1 - i) * k + (k - 1 - j)];
        // V = Ũ⁻¹, upper triangular, from the last row up: row i of ŨV = e_i gives V[i, :] = (e_i − Σ_{m>i} Ũ[i, m] V[m, :]) / Ũ[i, i]
        var v = new double[k * k];
        for (var i = k - 1; i >= 0; i--)
        {
            var row = v.AsSpan(i * k, k);
            for (var c = i + 1; c < k; c++)
            {
                var factor = upper[i * k + c];
                if (factor == 0) continue;
                Axpy(-factor, v.AsSpan(c * k + c, k - c), row[c..]);
            }
            var d = upper[i * k + i];
            row[i] = 1;
            for (var c = i; c < k; c++) row[c] /= d;
        }
        return v;
    }

    /// <summary>y += a x.</summary>
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var w = System.Numerics.Vector<double>.Count;
            var va = new System.Numerics.Vector<double>(a);
            for (; i <= x.Length - w; i += w)
                (new System.Numerics.Vector<double>(y.Slice(i, w)) + va * new System.Numerics.Vector<double>(x.Slice(i, w))).CopyTo(y.Slice(i, w));
        }
        for (; i < x.Length; i++) y[i] += a * x[i];
    }

    /// <summary>Σ x y.</summary>
    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var i = 0;
        var sum = 0d;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var w = System.Numerics.Vector<double>.Count;
            var acc = System.Numerics.Vector<double>.Zero;
            for (; i <= x.Length - w; i += w) acc += new System.Numerics.Vector<double>(x.Slice(i, w)) * new System.Numerics.Vector<double>(y.Slice(i, w));
            sum = System.Numerics.Vector.Sum(acc);
        }
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>The lower triangular L with H = LLᵀ; a pivot that is not positive (H singular in floating point) is raised to a tiny one.</summary>
    private static double[] Cholesky(double[] h, int k)
    {
        var l = new double[k * k];
        var floor = 1e-12 * Enumerable.Range(0, k).Max(i => Math.Abs(h[i * k + i]));
        for (var j = 0; j < k; j++)
        {
            var lj = l.AsSpan(j * k, j);
            var d = h[j * k + j] - Dot(lj, lj);
            var pivot = Math.Sqrt(Math.Max(d, Math.Max(floor, double.Epsilon)));
            l[j * k + j] = pivot;
            var column = j;
            if (k - j > 64)
                Parallel.For(j + 1, k, r => l[r * k + column] = (h[r * k + column] - Dot(l.AsSpan(r * k, column), l.AsSpan(column * k, column))) / pivot);
            else
                for (var r = j + 1; r < k; r++) l[r * k + column] = (h[r * k + column] - Dot(l.AsSpan(r * k, column), l.AsSpan(column * k, column))) / pivot;
        }
        return l;
    }

    /// <summary>tr((W − Q) H (W − Q)ᵀ): the summed squared output error of Q in place of W on the data of H.</summary>
    public static double OutputError(float[] w, float[] q, int rows, int k, double[] gram)
    {
        var total = 0d;
        var e = new double[k];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < k; i++) e[i] = w[r * k + i] - q[r * k + i];
            for (var i = 0; i < k; i++)
            {
                if (e[i] == 0) continue;
                var sum = 0d;
                for (var j = 0; j < k; j++) sum += gram[i * k + j] * e[j];
                total += e[i] * sum;
            }
        }
        return total;
    }
}
