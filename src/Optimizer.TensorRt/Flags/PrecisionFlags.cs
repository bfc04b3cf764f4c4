using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Flags;

/// <summary>
/// The precision flags a release accepts (TRTEXEC.md §1, §3):
/// - 11.x is strongly typed only: precision comes from the model (an FP16 model, a Q/DQ model), so no flag is given,
///   and asking for a precision the model does not carry is an input error;
/// - 8.6/10.x: --fp16, --int8, --best, --bf16 (9.0+) as asked; with Auto an FP16 model gets --fp16 (a BF16 one --bf16, a Q/DQ
///   model quantized from a float16 one --fp16 too) and a Q/DQ model
///   gets --int8 (without it the weakly typed build fails), or --stronglyTyped from 10.12, when weak typing is
///   deprecated for quantization;
/// - --calib is given only for an implicit INT8 build on 8.x, with a cache whose header matches the release.
/// </summary>
public static class PrecisionFlags
{
    public static IReadOnlyList<string> For(TensorRtVersion version, ModelFacts model, EnginePrecision precision, string? calibrationCache, ICollection<string> warnings)
    {
        if (version.StronglyTypedByDefault) return StronglyTyped(version, model, precision);
        var flags = new List<string>();
        switch (precision)
        {
            case EnginePrecision.Auto when model.IsQdq && version.PrefersStrongTypingForQdq:
                return ["--stronglyTyped"];
            case EnginePrecision.Auto:
                if (model.IsQdq) flags.Add("--int8");
                // a Q/DQ model quantized from a float16 one: the layers left out of INT8 ran in FP16, not FP32
                if (model.IsFp16 || (model.IsQdq && model.WidenedFromHalf)) flags.Add("--fp16");
                if (model.IsBf16 && version.HasBf16Flag) flags.Add("--bf16");
                return flags;
            case EnginePrecision.Fp16:
                return model.IsQdq ? ["--int8", "--fp16"] : ["--fp16"];
            case EnginePrecision.Bf16:
                if (!version.HasBf16Flag) throw new InvalidInputException($"--precision bf16 needs TensorRT 9 or later; trtexec here is TensorRT {version}.");
                return model.IsQdq ? ["--int8", "--bf16"] : ["--bf16"];
            case EnginePrecision.Best:
                flags.Add("--best");
                break;
            default:
                flags.Add("--int8");
                break;
        }
        if (!model.IsQdq) flags.AddRange(Calibration(version, calibrationCache, warnings));
        return flags;
    }

    private static IReadOnlyList<string> Calibration(TensorRtVersion version, string? cache, ICollection<string> warnings)
    {
        const string meaningless = "so its INT8 accuracy means nothing (only its speed does); quantize the model to Q/DQ with --quantize int8 --calibrate DIR for a usable INT8 engine.";
        if (!version.UsesCalibrationCache)
        {
            warnings.Add($"implicit INT8 is deprecated since TensorRT 10.1 and trtexec cannot calibrate: this engine uses placeholder ranges, {meaningless}");
            return [];
        }
        if (cache is null || !File.Exists(cache))
        {
            warnings.Add($"no calibration cache: trtexec uses placeholder ranges, {meaningless}");
            return [];
        }
        var header = File.ReadLines(cache).FirstOrDefault()?.Trim() ?? "";
        if (header != version.CalibrationHeader)
        {
            warnings.Add($"calibration cache {cache} has header '{header}', but TensorRT {version} needs '{version.CalibrationHeader}', so it is not used: {meaningless}");
            return [];
        }
        return [$"--calib={cache}"];
    }

    private static IReadOnlyList<string> StronglyTyped(TensorRtVersion version, ModelFacts model, EnginePrecision precision)
    {
        var carried = precision switch
        {
            EnginePrecision.Auto => true,
            EnginePrecision.Fp16 => model.IsFp16,
            EnginePrecision.Bf16 => model.IsBf16,
            EnginePrecision.Int8 => model.IsQdq,
            _ => false,
        };
        if (!carried)
            throw new InvalidInputException(
                $"TensorRT {version} builds strongly typed networks only (it removed --fp16/--int8/--best/--bf16): the precision comes from the model. " +
                "Convert it first (optimize MODEL --quantize fp16 --engine, or --quantize int8 --calibrate DIR --engine) and build without --precision.");
        return [];
    }
}
