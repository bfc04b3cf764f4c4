using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Tests.Flags;

public sealed class PrecisionFlagsTests
{
    private static readonly TensorRtVersion V86 = new(8, 6, 1), V109 = new(10, 9, 0, 34), V111 = new(11, 1, 0, 6);
    private static ModelFacts Model(bool qdq = false, bool fp16 = false) => new([], qdq, fp16, []);

    [Fact]
    public void Explicit_precisions_map_to_the_weak_typing_flags_before_11()
    {
        var warnings = new List<string>();
        Assert.Equal(["--fp16"], PrecisionFlags.For(V109, Model(), EnginePrecision.Fp16, null, warnings));
        Assert.Equal(["--best"], PrecisionFlags.For(V109, Model(qdq: true), EnginePrecision.Best, null, warnings));
        Assert.Equal(["--bf16"], PrecisionFlags.For(V109, Model(), EnginePrecision.Bf16, null, warnings));
        Assert.Throws<InvalidInputException>(() => PrecisionFlags.For(V86, Model(), EnginePrecision.Bf16, null, warnings));
    }

    [Fact]
    public void A_QDQ_model_quantized_from_a_float16_one_falls_back_to_FP16_where_precision_flags_exist()
    {
        var widened = Model(qdq: true) with { WidenedFromHalf = true };
        // the layers INT8 leaves out ran in FP16 in the user's model: --fp16 beside --int8, not FP32
        Assert.Equal(["--int8", "--fp16"], PrecisionFlags.For(V86, widened, EnginePrecision.Auto, null, []));
        Assert.Equal(["--int8", "--fp16"], PrecisionFlags.For(V109, widened, EnginePrecision.Auto, null, []));
        Assert.Equal(["--int8"], PrecisionFlags.For(V109, Model(qdq: true), EnginePrecision.Auto, null, []));
        // asked for INT8 alone, or a strongly typed release: as before
        Assert.Equal(["--int8"], PrecisionFlags.For(V109, widened, EnginePrecision.Int8, null, []));
        Assert.Empty(PrecisionFlags.For(V111, widened, EnginePrecision.Auto, null, []));
    }

    [Theory]
    [InlineData(EnginePrecision.Int8, false, false)]
    [InlineData(EnginePrecision.Fp16, false, false)]
    [InlineData(EnginePrecision.Best, true, true)]
    [InlineData(EnginePrecision.Int8, true, true)]
    [InlineData(EnginePrecision.Fp16, true, true)]
    public void TensorRT_11_accepts_only_the_precision_the_model_carries(EnginePrecision precision, bool qdq, bool fp16)
    {
        var model = Model(qdq, fp16);
        var carried = precision switch { EnginePrecision.Int8 => qdq, EnginePrecision.Fp16 => fp16, _ => false };
        if (carried) Assert.Empty(PrecisionFlags.For(V111, model, precision, null, []));
        else Assert.Contains("strongly typed", Assert.Throws<InvalidInputException>(() => PrecisionFlags.For(V111, model, precision, null, [])).Message);
    }

    [Fact]
    public void The_calibration_cache_is_passed_only_to_an_implicit_int8_build_on_8x_with_a_matching_header()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        var cache = dir.File("calibration.cache");
        File.WriteAllText(cache, "TRT-8601-EntropyCalibration2\ninput: 3c008912\n");
        var warnings = new List<string>();

        Assert.Equal(["--int8", $"--calib={cache}"], PrecisionFlags.For(V86, Model(), EnginePrecision.Int8, cache, warnings));
        Assert.Equal(["--int8"], PrecisionFlags.For(V86, Model(qdq: true), EnginePrecision.Int8, cache, warnings));
        Assert.Empty(warnings);
        Assert.Equal(["--int8"], PrecisionFlags.For(V109, Model(), EnginePrecision.Int8, cache, warnings));
        Assert.Contains("deprecated since TensorRT 10.1", Assert.Single(warnings));

        File.WriteAllText(cache, "TRT-8510-EntropyCalibration2\ninput: 3c008912\n");
        warnings.Clear();
        Assert.Equal(["--int8"], PrecisionFlags.For(V86, Model(), EnginePrecision.Int8, cache, warnings));
        Assert.Contains("TRT-8510-EntropyCalibration2", Assert.Single(warnings));
    }
}
