namespace FakeTrtexec;

/// <summary>The precision a layer runs in, with the engine inspector's "Format/Datatype" wording.</summary>
internal enum LayerPrecision { Int8, Fp16, Fp32, Int32, Int64, Bool }

/// <summary>One layer of the built engine: the ONNX nodes fused into it, its precision and weight count.</summary>
internal sealed record FakeLayer(
    IReadOnlyList<string> NodeNames, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    LayerPrecision Precision, long WeightCount)
{
    public string Name => string.Join(" + ", NodeNames);

    public static string Format(LayerPrecision precision) => precision switch
    {
        LayerPrecision.Int8 => "Thirty-two wide channel vectorized row major Int8 format",
        LayerPrecision.Fp16 => "Channel major FP16 format where channel % 8 == 0",
        LayerPrecision.Fp32 => "Row major linear FP32",
        LayerPrecision.Int32 => "Row major linear Int32",
        LayerPrecision.Int64 => "Row major linear Int64",
        _ => "Row major linear Bool",
    };

    public static int BytesPerWeight(LayerPrecision precision) => precision switch
    {
        LayerPrecision.Int8 => 1,
        LayerPrecision.Fp16 => 2,
        _ => 4,
    };
}
