using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// How a layer reads its input: as a matrix whose last axis holds the K inputs of a row (MatMul, Gemm; a Gemm with transA
/// holds them on the first axis), or as a convolution's patches (<paramref name="Kernel"/> non-empty: 1-D or 2-D, an
/// NC[H]W input, the K inputs of a patch ordered as a Conv weight's [C/group, kH, kW]).
/// </summary>
/// <param name="Pads">Begin pads then end pads, one per spatial axis (ignored unless <paramref name="AutoPad"/> is NOTSET).</param>
public sealed record PatchGeometry(int Groups, int[] Kernel, int[] Strides, int[] Dilations, int[] Pads, string AutoPad, bool Transposed)
{
    public static PatchGeometry Matrix(bool transposed) => new(1, [], [], [], [], "NOTSET", transposed);

    public bool IsConvolution => Kernel.Length > 0;
}

/// <summary>A layer whose inputs' second moments <see cref="InputGrams"/> collects: what it reads and how.</summary>
public sealed record GramSite(string Key, string Tensor, int Inputs, PatchGeometry Geometry);

/// <summary>
/// Σ x xᵀ over every input vector x a layer's weights multiply (a row of a MatMul's input, a Conv's patch, per group),
/// summed over the calibration data: the Hessian of the layer's output error that GPTQ rounds its weights by. One run
/// per sample with the tensors exposed as outputs; memory is one K × K matrix per group of a layer, whatever the number
/// of samples. Layers are folded in parallel.
/// </summary>
public static class InputGrams
{
    /// <summary>For each site's key, one row-major K × K matrix per group (the same arrays for sites that read the same tensor the same way).</summary>
    public static IReadOnlyDictionary<string, double[][]> Collect(byte[] modelBytes, IReadOnlyList<GramSite> sites, IEnumerable<Sample> samples,
        SessionSettings session, int? maxSamples = null, CancellationToken cancel = default)
    {
        // layers reading the same tensor the same way (a transformer's query, key and value projections) share one matrix
        var shared = sites.GroupBy(Identity, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byIdentity = shared.ToDictionary(kv => kv.Key, kv => Enumerable.Range(0, kv.Value.Geometry.Groups).Select(_ => new double[(long)kv.Value.Inputs * kv.Value.Inputs]).ToArray(), StringComparer.Ordinal);
        var grams = sites.ToDictionary(s => s.Key, s => byIdentity[Identity(s)], StringComparer.Ordinal);
        if (sites.Count == 0) return grams;
        var (bytes, fromInputs) = Expose(modelBytes, sites.Select(s => s.Tensor).Distinct(StringComparer.Ordinal).ToList());
        var outputNames = sites.Select(s => s.Tensor).Where(t => !fromInputs.Contains(t)).Distinct(StringComparer.Ordinal).ToArray();
        var done = SampleRuns.Run(bytes, "GPTQ model", session, null, outputNames, samples, maxSamples, cancel, (sample, outputs) =>
        {
            // each tensor's values copied out once, however many layers read it
            var tensors = new Dictionary<string, (float[] Data, long[] Shape)>(StringComparer.Ordinal);
            for (var i = 0; i < outputNames.Length; i++)
                tensors[outputNames[i]] = (outputs[i].GetTensorDataAsSpan<float>().ToArray(), outputs[i].GetTensorTypeAndShape().Shape);
            foreach (var name in fromInputs) tensors[name] = (Input(sample, name).AsSpan<float>().ToArray(), Input(sample, name).Shape);
            Parallel.ForEach(shared, new ParallelOptions { CancellationToken = cancel }, entry =>
            {
                var (data, shape) = tensors[entry.Value.Tensor];
                Fold(entry.Value, data, shape, byIdentity[entry.Key]);
            });
        });
        if (done == 0) throw new InvalidInputException("GPTQ needs at least one calibration sample; the data set has none");
        return grams;
    }

    /// <summary>What a site's matrix depends on: the tensor, the number of inputs and how they are read.</summary>
    private static string Identity(GramSite s)
    {
        var g = s.Geometry;
        return string.Join("|", s.Tensor, s.Inputs, g.Groups, string.Join(",", g.Kernel), string.Join(",", g.Strides), string.Join(",", g.Dilations),
            string.Join(",", g.Pads), g.AutoPad, g.Transposed);
    }

    private static HostTensor Input(Sample sample, string name) =>
        sample.Inputs.TryGetValue(name, out var t) ? t : throw new InvalidInputException($"{sample.Source}: the sample has no input '{name}'");

    /// <summary>The model with every tensor of <paramref name="names"/> a graph output, and those that are graph inputs.</summary>
    private static (byte[] Bytes, HashSet<string> FromInputs) Expose(byte[] modelBytes, IReadOnlyList<string> names)
    {
        var model = ModelReader.Read(new MemoryStream(modelBytes, writable: false), null, "GPTQ model");
        var defined = model.Graph.DefinedValues().GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var fromInputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!defined.TryGetValue(name, out var value)) throw new InvalidInputException($"the model has no tensor '{name}' to measure");
            if (value.IsGraphInput) fromInputs.Add(name);
            else if (!value.IsGraphOutput) model.Graph.AddOutput(value);
        }
        return (ModelWriter.ToBytes(model), fromInputs);
    }

    /// <summary>Adds one sample's input vectors of <paramref name="site"/> into its matrices.</summary>
    internal static void Fold(GramSite site, float[] data, IReadOnlyList<long> shape, double[][] grams)
    {
        var k = site.Inputs;
        if (!site.Geometry.IsConvolution)
        {
            var rows = data.Length / k;
            if (data.Length % k != 0 || (site.Geometry.Transposed ? shape[0] : shape[^1]) != k)
                throw new InvalidInputException($"'{site.Tensor}' has shape [{string.Join(", ", shape)}], not {k} inputs a row");
            // columns of a [K, M] matrix: one row of A per input
            var columns = site.Geometry.Transposed ? data : Transpose(data, rows, k);
            AddProducts(columns, k, rows, grams[0]);
            return;
        }
        var g = site.Geometry;
        var spatial = g.Kernel.Length;
        if (shape.Count != spatial + 2) throw new InvalidInputException($"'{site.Tensor}' has rank {shape.Count}, not the {spatial + 2} of its convolution");
        // a 1-D convolution as a 2-D one of height 1
        var (inH, inW) = spatial == 2 ? ((int)shape[2], (int)shape[3]) : (1, (int)shape[2]);
        int At(int[] v, int i, int fallback) => spatial == 2 ? (v.Length > i ? v[i] : fallback) : (i == 0 ? fallback : v.Length > 0 ? v[0] : fallback);
        var (kH, kW) = (spatial == 2 ? g.Kernel[0] : 1, g.Kernel[^1]);
        var (sH, sW) = (At(g.Strides, 0, 1), At(g.Strides, 1, 1));
        var (dH, dW) = (At(g.Dilations, 0, 1), At(g.Dilations, 1, 1));
        var (padTop, outH) = Padding(inH, kH, sH, dH, spatial == 2 ? Pad(g, 0, false) : 0, spatial == 2 ? Pad(g, 0, true) : 0, g.AutoPad);
        var (padLeft, outW) = Padding(inW, kW, sW, dW, Pad(g, spatial - 1, false), Pad(g, spatial - 1, true), g.AutoPad);
        var batch = (int)shape[0];
        var channels = (int)shape[1];
        var perGroup = channels / g.Groups;
        if (channels % g.Groups != 0 || perGroup * kH * kW != k)
            throw new InvalidInputException($"'{site.Tensor}' has {channels} channels; its convolution reads {k} values a patch in {g.Groups} groups");
        var positions = outH * outW;
        if (positions <= 0) return;
        var a = new float[(long)k * positions];
        for (var n = 0; n < batch; n++)
            for (var group = 0; group < g.Groups; group++)
            {
                for (var c = 0; c < perGroup; c++)
                {
                    var plane = ((long)n * channels + group * perGroup + c) * inH * inW;
                    for (var ky = 0; ky < kH; ky++)
                        for (var kx = 0; kx < kW; kx++)
                        {
                            var row = ((c * kH + ky) * kW + kx) * (long)positions;
                            for (var oy = 0; oy < outH; oy++)
                            {
                                var iy = oy * sH - padTop + ky * dH;
                                var dest = row + (long)oy * outW;
                                if (iy < 0 || iy >= inH)
                                {
                                    Array.Clear(a, (int)dest, outW);
                                    continue;
                                }
                                var source = plane + (long)iy * inW;
                                for (var ox = 0; ox < outW; ox++)
                                {
                                    var ix = ox * sW - padLeft + kx * dW;
                                    a[dest + ox] = ix >= 0 && ix < inW ? data[source + ix] : 0f;
                                }
                            }
                        }
                }
                AddProducts(a, k, positions, grams[group]);
            }
    }

    private static int Pad(PatchGeometry g, int axis, bool end)
    {
        var spatial = g.Kernel.Length;
        var i = (end ? spatial : 0) + axis;
        return g.Pads.Length > i ? g.Pads[i] : 0;
    }

    /// <summary>The begin pad and the output length of one spatial axis (ONNX's Conv, with auto_pad).</summary>
    private static (int Begin, int Output) Padding(int input, int kernel, int stride, int dilation, int begin, int end, string autoPad)
    {
        var span = (kernel - 1) * dilation + 1;
        switch (autoPad)
        {
            case "SAME_UPPER" or "SAME_LOWER":
                var output = (input + stride - 1) / stride;
                var total = Math.Max(0, (output - 1) * stride + span - input);
                return (autoPad == "SAME_UPPER" ? total / 2 : total - total / 2, output);
            case "VALID":
                return (0, (input - span) / stride + 1);
            default:
                return (begin, (input + begin + end - span) / stride + 1);
        }
    }

    private static float[] Transpose(float[] m, int rows, int columns)
    {
        var t = new float[m.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) t[(long)c * rows + r] = m[(long)r * columns + c];
        return t;
    }

    /// <summary>Columns of A taken at a time, so that the rows' chunks stay in cache while every pair of rows is multiplied.</summary>
    private const int Chunk = 256;

    /// <summary>
    /// gram += A Aᵀ for A of <paramref name="k"/> rows of <paramref name="length"/> values (the upper triangle computed,
    /// mirrored): chunk by chunk of columns, each row against four others at a time.
    /// </summary>
    private static void AddProducts(float[] a, int k, int length, double[] gram)
    {
        var upper = new double[(long)k * k];
        for (var start = 0; start < length; start += Chunk)
        {
            var width = Math.Min(Chunk, length - start);
            for (var i = 0; i < k; i++)
            {
                var ai = new ReadOnlySpan<float>(a, i * length + start, width);
                var j = i;
                for (; j + 4 <= k; j += 4)
                {
                    var (d0, d1, d2, d3) = Dot4(ai, a, j * length + start, length, width);
                    var at = (long)i * k + j;
                    upper[at] += d0;
                    upper[at + 1] += d1;
                    upper[at + 2] += d2;
                    upper[at + 3] += d3;
                }
                for (; j < k; j++) upper[(long)i * k + j] += Dot(ai, new ReadOnlySpan<float>(a, j * length + start, width));
            }
        }
        for (var i = 0; i < k; i++)
            for (var j = i; j < k; j++)
            {
                var v = upper[(long)i * k + j];
                gram[(long)i * k + j] += v;
                if (j != i) gram[(long)j * k + i] += v;
            }
    }

    /// <summary>The dot products of x with the four rows of <paramref name="a"/> starting at <paramref name="first"/>, <paramref name="stride"/> apart.</summary>
    private static (double, double, double, double) Dot4(ReadOnlySpan<float> x, float[] a, int first, int stride, int width)
    {
        var y0 = new ReadOnlySpan<float>(a, first, width);
        var y1 = new ReadOnlySpan<float>(a, first + stride, width);
        var y2 = new ReadOnlySpan<float>(a, first + 2 * stride, width);
        var y3 = new ReadOnlySpan<float>(a, first + 3 * stride, width);
        var w = Vector<float>.Count;
        var (s0, s1, s2, s3) = (Vector<float>.Zero, Vector<float>.Zero, Vector<float>.Zero, Vector<float>.Zero);
        var i = 0;
        for (; i <= width - w; i += w)
        {
            var v = new Vector<float>(x.Slice(i, w));
            s0 += v * new Vector<float>(y0.Slice(i, w));
            s1 += v * new Vector<float>(y1.Slice(i, w));
            s2 += v * new Vector<float>(y2.Slice(i, w));
            s3 += v * new Vector<float>(y3.Slice(i, w));
        }
        double r0 = Vector.Sum(s0), r1 = Vector.Sum(s1), r2 = Vector.Sum(s2), r3 = Vector.Sum(s3);
        for (; i < width; i++)
        {
            r0 += x[i] * y0[i];
            r1 += x[i] * y1[i];
            r2 += x[i] * y2[i];
            r3 += x[i] * y3[i];
        }
        return (r0, r1, r2, r3);
    }

    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var width = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        var i = 0;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (var v = 0; v < vx.Length; v++) acc += vx[v] * vy[v];
        i = vx.Length * width;
        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
