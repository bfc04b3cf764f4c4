using System.Security.Cryptography;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--weight-rounding gptq</c>: the int8 weights of the Conv/Gemm/MatMul nodes static quantization quantizes are
/// chosen by GPTQ (<see cref="Gptq"/>) on the calibration data instead of rounded to nearest. One run of the FP32 model
/// over at most <see cref="MaxSamples"/> calibration samples collects each layer's input second moments
/// (<see cref="InputGrams"/>); each layer is then rounded alone. Computed once for every node that could be quantized
/// and kept for the process, so an accuracy budget's rounds (which quantize the same model with fewer nodes) reuse it;
/// <see cref="WeightRounding"/> then stores the weights of the nodes each round actually quantizes.
/// </summary>
public static class GptqStep
{
    /// <summary>GPTQ's own choice of calibration size: enough rows for K × K matrices of a few thousand inputs.</summary>
    public const int MaxSamples = 128;

    /// <summary>Layers with more inputs a row are left to round-to-nearest (their K × K matrix and its inversion grow as K² and K³).</summary>
    public const int MaxInputs = 4096;

    private static readonly Lock Gate = new();
    private static (string Key, GptqRounding Value)? _last;

    /// <summary>The GPTQ weights of <paramref name="model"/> (FP32, final form) for <paramref name="settings"/> (no node kept in float).</summary>
    public static GptqRounding Compute(Model model, QuantizationSettings settings, string folder, int? calibrationSamples, OptimizeOptions options,
        CancellationToken cancel, TextWriter stderr)
    {
        var bytes = ModelWriter.ToBytes(model);
        var samples = Math.Min(calibrationSamples ?? MaxSamples, MaxSamples);
        // what the data read and the matrices depend on besides the model: how the samples are shaped and where they run
        var key = $"{Convert.ToHexString(SHA256.HashData(bytes))}|{settings.PerTensorWeights}|{settings.Target}|{Path.GetFullPath(folder)}|{samples}|{options.Shapes}|{options.Provider}";
        lock (Gate)
            if (_last is { } last && last.Key == key) return last.Value;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var byName = model.Graph.Nodes.Where(n => n.Name.Length > 0).GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var all = WeightRounding.Sites(model, settings);
        var sites = all.Where(s => s.Inputs <= MaxInputs).ToList();
        var data = InputData.Open(folder, options);
        var grams = InputGrams.Collect(bytes, sites.Select(s => new GramSite(s.Node, s.Input, s.Inputs, Geometry(byName[s.Node]))).ToList(),
            data.Read(), options.SpeedSession, samples, cancel);
        var collected = clock.Elapsed;
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        // each layer's error relative to its own round-to-nearest error, so that no layer's scale dominates the mean
        var ratios = new List<double>();
        foreach (var site in sites)
        {
            cancel.ThrowIfCancellationRequested();
            var (w, nearest, error) = WeightRounding.Round(byName[site.Node], site, grams[site.Node]);
            weights[site.Node] = w;
            if (nearest > 0) ratios.Add(error / nearest);
        }
        var ratio = ratios.Count > 0 ? ratios.Average() : 1;
        stderr.WriteLine($"GPTQ: {weights.Count} layers' int8 weights chosen on {Math.Min(samples, data.Count)} calibration samples; " +
                         $"their output error on those samples is {ratio:0.00} of round-to-nearest's (mean over layers; {collected.TotalSeconds:0.0} s collecting, {(clock.Elapsed - collected).TotalSeconds:0.0} s rounding)");
        var result = new GptqRounding(weights, new GptqReport(weights.Count, Math.Round(ratio, 4), sites.Count < all.Count ? MaxInputs : null));
        lock (Gate) _last = (key, result);
        return result;
    }

    /// <summary>How <paramref name="node"/> reads its input (see <see cref="PatchGeometry"/>).</summary>
    private static PatchGeometry Geometry(Node node)
    {
        if (node.OpType != "Conv") return PatchGeometry.Matrix(node.OpType == "Gemm" && node.GetInt("transA", 0) != 0);
        var dims = Passes.Infrastructure.Patterns.Constant(node.Input(1))!.Dims;
        int[] Ints(string name) => node.GetInts(name)?.Select(v => (int)v).ToArray() ?? [];
        var kernel = Ints("kernel_shape") is { Length: > 0 } k ? k : dims.Skip(2).Select(d => (int)d).ToArray();
        return new PatchGeometry((int)node.GetInt("group", 1), kernel, Ints("strides"), Ints("dilations"), Ints("pads"), node.GetString("auto_pad", "NOTSET"), false);
    }
}

/// <summary>GPTQ's weights by node (in each node's weight layout) and what the report says of them.</summary>
public sealed record GptqRounding(IReadOnlyDictionary<string, float[]> Weights, GptqReport Report);

/// <summary>
/// The "gptq" part of the quantization report: the layers rounded, and their output error on the calibration samples
/// relative to round-to-nearest's (mean over the layers; below 1 is better).
/// </summary>
/// <param name="WiderLeft">When layers of more inputs than this were left to round-to-nearest.</param>
public sealed record GptqReport(int Layers, double ErrorRatio, int? WiderLeft);
