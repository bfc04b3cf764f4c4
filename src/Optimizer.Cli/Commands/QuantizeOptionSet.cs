using System.CommandLine;
using System.Globalization;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.Errors;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Commands;

/// <summary>The root command's <c>--quantize</c> options, and their reading into <see cref="QuantizeOptions"/>.</summary>
public sealed class QuantizeOptionSet
{
    private readonly Option<string?> _quantize = new("--quantize")
    {
        HelpName = "int8|fp16|bf16",
        Description = "Quantize to INT8 after the FP32 passes: static Q/DQ with --calibrate or --calibration-table, dynamic otherwise "
                      + "(weights int8 ahead of time, activations at run time). fp16/bf16: float computation in half precision "
                      + "(--calibrate DIR then checks the ranges; nodes that would overflow stay float32).",
    };

    private readonly Option<DirectoryInfo?> _calibrate = new("--calibrate")
    {
        HelpName = "DIR",
        Description = "Calibration data (the formats --validate reads): activation ranges for static INT8. OUT/calibration.json keeps them. "
                      + "With fp16: the range check (nodes whose values would overflow float16 stay float32).",
    };

    private readonly Option<string?> _method = new("--calibration-method")
    {
        HelpName = "best|minmax|percentile|entropy|auto",
        Description = "How a tensor's range is chosen from its calibration values. Default best: calibrate once, quantize with min/max "
                      + "and with percentile ranges, run both beside FP32 on 32 calibration samples spread over the folder and keep the model whose "
                      + "worst output SQNR is higher, because which wins depends on the model (measured on pretrained models: "
                      + "arctic_embed_xs min/max 24.5 dB against 15.0, clipping a transformer's outlier channels costs it most; the "
                      + "PP-OCRv4 text recognizer percentile 14.9 dB against 10.2, and on held-out text lines 63.0 % read exactly "
                      + "against 39.5 %, FP32 61.5 %). With --validate and a --max-accuracy-drop gate, that gate decides, on the --validate "
                      + "data. minmax: the extremes seen; percentile: 99.99 % of |x| (--percentile; from 99.9 up read exactly from the extreme "
                      + "values kept, below it from a histogram); entropy: "
                      + "TensorRT's KL divergence; auto: per tensor, the one of the three with the least expected quantization error "
                      + "(rounding + clipping) on its histogram.",
    };

    private readonly Option<double?> _percentile = new("--percentile") { HelpName = "P", Description = "The percentile for --calibration-method percentile and auto (default 99.99)." };

    private readonly Option<int?> _samples = new("--calibration-samples") { HelpName = "N", Description = "Calibrate on the first N samples only." };

    private readonly Option<FileInfo?> _table = new("--calibration-table")
    {
        HelpName = "FILE",
        Description = "Reuse the ranges a previous run wrote (OUT/calibration.json) instead of calibrating; refused when it lacks a tensor the model needs.",
    };

    private readonly Option<string?> _target = new("--target")
    {
        HelpName = "cpu|tensorrt",
        Description = "The runtime the INT8 graph is laid out for (default cpu: uint8 activations in the form ONNX Runtime's CPU provider fuses). "
                      + "tensorrt: int8 symmetric, zero points 0, per-channel weights, and OUT/calibration.cache; ONNX Runtime's CPU provider runs that form slowly.",
    };

    private readonly Option<bool> _perTensor = new("--per-tensor") { Description = "One weight scale per tensor instead of one per output channel. Not given, dynamic INT8 within an accuracy budget tries per tensor first (ONNX Runtime runs it 3-4 % faster) and keeps it when it holds." };

    private readonly Option<string?> _exclude = new("--exclude") { HelpName = "NAME|OpType,...", Description = "Node names or op types kept in float." };

    private readonly Option<string?> _smoothQuant = new("--smooth-quant")
    {
        HelpName = "ALPHA|auto",
        Description = "SmoothQuant before static INT8: divide each channel of a MatMul/Gemm input by max|X|^ALPHA / max|W|^(1-ALPHA) "
                      + "and fold the scale into the weight and the LayerNorm or MatMul before it (exact in FP32). ALPHA in [0, 1], e.g. 0.5; needs --calibrate. "
                      + "With --activations dynamic, before dynamic INT8; there auto measures off, 0.5, 0.6, 0.7 and 0.8 (each model quantized "
                      + "and run beside FP32 on 32 samples spread over the folder, judged by the budget's first gate, else a sentence embedder's pooled "
                      + "cosine, else the output SQNR) and keeps the best.",
    };

    private readonly Option<string?> _activations = new("--activations")
    {
        HelpName = "static|dynamic",
        Description = "How INT8 activations are quantized: static (calibrated ranges; the default with --calibrate or --calibration-table) "
                      + "or dynamic (at run time; the default without). dynamic with --calibrate: the data serves --smooth-quant only, "
                      + "which moves a pretrained transformer's outlier channels into the weights before dynamic INT8 "
                      + "(all-MiniLM-L6-v2 with 0.7: worst pooled cosine 0.990 -> 0.995).",
    };

    private readonly HalfPrecisionOptionSet _half = new();

    private readonly Option<bool> _biasCorrection = new("--bias-correction")
    {
        Description = BiasCorrectionHelp.Text,
    };

    private readonly Option<string?> _weightRounding = new("--weight-rounding")
    {
        HelpName = "nearest|gptq",
        Description = WeightRoundingHelp.Text,
    };

    private readonly Option<string?> _equalization = new("--cross-layer-equalization")
    {
        HelpName = "auto|on|off",
        Description = EqualizationHelp.Text,
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _quantize, _calibrate, _method, _percentile, _samples, _table, _target, _activations, _perTensor, _exclude, _smoothQuant, _biasCorrection, _weightRounding, _equalization }.Concat(_half.Options))
            command.Options.Add(option);
    }

    /// <summary>The --exclude list, which --prune also reads (layers left alone).</summary>
    public IReadOnlyList<string> Exclude(ParseResult parse) => (parse.GetValue(_exclude) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether <paramref name="option"/> was given; <c>--per-tensor false</c> (a pipeline file's <c>per-tensor: false</c>) asks for the default and is never out of place.</summary>
    private bool Given(ParseResult parse, Option option) =>
        parse.GetResult(option) is { Implicit: false } && !(option == _perTensor && !parse.GetValue(_perTensor));

    /// <summary>The options read, or null without <c>--quantize</c> (then the others are refused).</summary>
    /// <param name="pruning">--prune is given: --exclude is then its too, not a stray.</param>
    public QuantizeOptions? Read(ParseResult parse, bool pruning = false)
    {
        var mode = parse.GetValue(_quantize);
        if (mode is null)
        {
            var stray = new Option[] { _calibrate, _method, _percentile, _samples, _table, _target, _perTensor, _exclude, _smoothQuant, _biasCorrection, _weightRounding, _activations, _equalization }
                .FirstOrDefault(o => Given(parse, o) && !(pruning && o == _exclude));
            if (_half.Stray(parse) is { } half) throw new InvalidInputException($"{half.Name} needs --quantize fp16 or bf16");
            return stray is null ? null : throw new InvalidInputException($"{stray.Name} needs --quantize int8, fp16 or bf16");
        }
        if (mode is "fp16" or "bf16")
            return _half.Read(parse, mode, new Option[] { _method, _percentile, _table, _target, _perTensor, _smoothQuant, _biasCorrection, _weightRounding, _activations, _equalization }.Where(o => Given(parse, o)),
                () => ReadHalfCommon(parse));
        if (mode != "int8") throw new InvalidInputException($"--quantize '{mode}': expected int8, fp16 or bf16");
        if (_half.Stray(parse) is { } o8) throw new InvalidInputException($"{o8.Name} needs --quantize fp16 or bf16");
        var calibrate = parse.GetValue(_calibrate)?.FullName;
        var table = parse.GetValue(_table)?.FullName;
        if (calibrate is not null && table is not null) throw new InvalidInputException("--calibrate and --calibration-table both give ranges; choose one");
        if (calibrate is not null) Runtime.Data.DataOptions.CheckFolder(calibrate, "--calibrate");
        if (table is not null && !File.Exists(table)) throw new InvalidInputException($"--calibration-table '{table}' does not exist");
        var percentile = parse.GetValue(_percentile) ?? QuantizeDefaults.Percentile;
        if (!(percentile > 50 && percentile <= 100)) throw new InvalidInputException($"--percentile {percentile.ToString(CultureInfo.InvariantCulture)}: expected a value above 50 and at most 100");
        if (parse.GetValue(_samples) is < 1) throw new InvalidInputException("--calibration-samples must be at least 1");
        var dynamic = parse.GetValue(_activations) switch
        {
            null => false,
            "static" when calibrate is null && table is null => throw new InvalidInputException("--activations static needs --calibrate DIR or --calibration-table FILE (their ranges)"),
            "static" => false,
            "dynamic" when table is not null => throw new InvalidInputException("--activations dynamic does not read --calibration-table: its ranges are for static activations"),
            "dynamic" => true,
            var other => throw new InvalidInputException($"--activations '{other}': expected static or dynamic"),
        };
        var smoothText = parse.GetValue(_smoothQuant);
        var smoothAuto = smoothText == "auto";
        double? smooth = smoothText is null || smoothAuto ? null
            : double.TryParse(smoothText, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ? a
            : throw new InvalidInputException($"--smooth-quant '{smoothText}': expected a value from 0 to 1, or auto");
        if (smoothText is not null && calibrate is null) throw new InvalidInputException("--smooth-quant needs --calibrate DIR (it measures per-channel maxima on the calibration data)");
        if (smoothAuto && !dynamic)
            throw new InvalidInputException("--smooth-quant auto needs --activations dynamic (a static candidate would need a calibration of its own); give ALPHA for static INT8");
        if (dynamic && calibrate is not null && smoothText is null)
            throw new InvalidInputException("--activations dynamic uses --calibrate DIR for --smooth-quant ALPHA only: give it, or leave out --calibrate");
        var isStatic = !dynamic && (calibrate is not null || table is not null);
        if (!isStatic && new Option[] { _method, _percentile }.Concat(calibrate is null ? [_samples] : []).FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } o)
            throw new InvalidInputException(dynamic && calibrate is not null
                ? $"{o.Name} needs static activations (--activations dynamic calibrates nothing: its data serves --smooth-quant)"
                : $"{o.Name} needs --calibrate DIR (dynamic quantization has no calibration)");
        if (smooth is { } alpha && !(alpha >= 0 && alpha <= 1)) throw new InvalidInputException($"--smooth-quant {alpha.ToString(CultureInfo.InvariantCulture)}: expected a value from 0 to 1");
        var gptq = parse.GetValue(_weightRounding) switch
        {
            null or "nearest" => false,
            "gptq" => true,
            var other => throw new InvalidInputException($"--weight-rounding '{other}': expected nearest or gptq"),
        };
        if (gptq && !isStatic && calibrate is not null) throw new InvalidInputException("--weight-rounding gptq needs static activations (--calibrate DIR without --activations dynamic)");
        if (gptq && calibrate is null) throw new InvalidInputException("--weight-rounding gptq needs --calibrate DIR (it chooses the weights by their output error on the calibration data)");
        if (parse.GetValue(_biasCorrection) && !isStatic && calibrate is not null)
            throw new InvalidInputException("--bias-correction needs static activations (--calibrate DIR without --activations dynamic)");
        if (parse.GetValue(_biasCorrection) && calibrate is null) throw new InvalidInputException("--bias-correction needs --calibrate DIR (it measures the quantized layers' mean error on the calibration data)");
        var equalization = parse.GetValue(_equalization) switch
        {
            null or "auto" => Equalization.Auto,
            "on" => Equalization.On,
            "off" => Equalization.Off,
            var other => throw new InvalidInputException($"--cross-layer-equalization '{other}': expected auto, on or off"),
        };
        if (Given(parse, _equalization) && !isStatic)
            throw new InvalidInputException("--cross-layer-equalization needs static INT8 (--calibrate DIR or --calibration-table FILE): dynamic INT8 has no activation ranges for it to change");
        var target = ParseTarget(parse.GetValue(_target));
        if (!isStatic && target == QuantizationTarget.TensorRt)
            throw new InvalidInputException(dynamic
                ? "--target tensorrt needs static activations: TensorRT runs INT8 from Q/DQ with calibrated ranges, not dynamic quantization"
                : "--target tensorrt needs --calibrate DIR: TensorRT runs INT8 from Q/DQ with calibrated ranges, not dynamic quantization");
        return new QuantizeOptions
        {
            CalibrateDir = calibrate,
            CalibrationTable = table,
            Method = ParseMethod(parse.GetValue(_method), target),
            CompareMethods = parse.GetValue(_method) is null or "best" ? QuantizeDefaults.Compared : null,
            Percentile = percentile,
            CalibrationSamples = parse.GetValue(_samples),
            Target = target,
            PerTensor = parse.GetResult(_perTensor) is { Implicit: false } ? parse.GetValue(_perTensor) : null,
            SmoothQuant = smooth,
            SmoothQuantAuto = smoothAuto,
            BiasCorrection = parse.GetValue(_biasCorrection),
            Gptq = gptq,
            Equalization = equalization,
            DynamicActivations = dynamic,
            Exclude = Exclude(parse),
        };
    }

    /// <summary>The options fp16/bf16 share with INT8: --calibrate (their range check), --calibration-samples, --exclude.</summary>
    private QuantizeOptions ReadHalfCommon(ParseResult parse)
    {
        var calibrate = parse.GetValue(_calibrate)?.FullName;
        if (calibrate is not null) Runtime.Data.DataOptions.CheckFolder(calibrate, "--calibrate");
        if (parse.GetValue(_samples) is < 1) throw new InvalidInputException("--calibration-samples must be at least 1");
        if (calibrate is null && parse.GetResult(_samples) is { Implicit: false }) throw new InvalidInputException("--calibration-samples needs --calibrate DIR");
        return new QuantizeOptions
        {
            CalibrateDir = calibrate,
            CalibrationSamples = parse.GetValue(_samples),
            Exclude = (parse.GetValue(_exclude) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
    }

    private static CalibrationMethod ParseMethod(string? text, QuantizationTarget target) => text switch
    {
        null or "best" => QuantizeDefaults.MethodFor(target),
        "minmax" => CalibrationMethod.MinMax,
        "percentile" => CalibrationMethod.Percentile,
        "entropy" => CalibrationMethod.Entropy,
        "auto" => CalibrationMethod.Auto,
        _ => throw new InvalidInputException($"--calibration-method '{text}': expected best, minmax, percentile, entropy or auto"),
    };

    private static QuantizationTarget ParseTarget(string? text) => text switch
    {
        null or "cpu" => QuantizationTarget.Cpu,
        "tensorrt" => QuantizationTarget.TensorRt,
        _ => throw new InvalidInputException($"--target '{text}': expected cpu or tensorrt"),
    };
}
