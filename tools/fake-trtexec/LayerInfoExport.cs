using System.Text.Json;

namespace FakeTrtexec;

/// <summary>
/// --exportLayerInfo (the engine inspector's JSON): <c>{"Layers":[…],"Bindings":[…]}</c>. With the default
/// layer_names_only verbosity the layers are plain names; with --profilingVerbosity=detailed each is an object with
/// Name, LayerType, Inputs/Outputs (Name, Location, Dimensions, Format/Datatype), ParameterType, Origin, TacticName,
/// TacticValue, and from 10.x StreamId and Metadata (<c>[ONNX Layer: name]</c> per fused node, separated by U+001F).
/// </summary>
internal static class LayerInfoExport
{
    public static void Write(string path, IReadOnlyList<FakeLayer> layers, OnnxNetwork network, FakeOptions options)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("Layers");
        foreach (var layer in layers)
        {
            if (options.DetailedProfiling) WriteDetailed(json, layer, options.Version);
            else json.WriteStringValue(layer.Name);
        }
        json.WriteEndArray();
        json.WriteStartArray("Bindings");
        foreach (var name in network.Inputs.Select(i => i.Name).Concat(network.Outputs)) json.WriteStringValue(name);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteDetailed(Utf8JsonWriter json, FakeLayer layer, FakeVersion version)
    {
        json.WriteStartObject();
        json.WriteString("Name", layer.Name);
        json.WriteString("LayerType", LayerType(layer));
        WriteTensors(json, "Inputs", layer.Inputs, layer.Precision);
        WriteTensors(json, "Outputs", layer.Outputs, layer.Precision == LayerPrecision.Int8 ? LayerPrecision.Fp32 : layer.Precision);
        json.WriteString("ParameterType", layer.OpType);
        json.WriteString("Origin", layer.OpType is "Conv" or "Gemm" or "MatMul" ? "CONVOLUTION" : layer.OpType.ToUpperInvariant());
        json.WriteString("TacticName", layer.Precision == LayerPrecision.Int8 ? "sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32" : "generic");
        json.WriteString("TacticValue", $"0x{StableHash.Of(layer.Name) & 0xffffffffff:x16}");
        if (version.Major >= 10)
        {
            json.WriteNumber("StreamId", 0);
            json.WriteString("Metadata", string.Join('\u001f', layer.NodeNames.Select(n => $"[ONNX Layer: {n}]")));
        }
        json.WriteEndObject();
    }

    private static void WriteTensors(Utf8JsonWriter json, string property, IReadOnlyList<string> names, LayerPrecision precision)
    {
        json.WriteStartArray(property);
        foreach (var name in names)
        {
            json.WriteStartObject();
            json.WriteString("Name", name);
            json.WriteString("Location", "Device");
            json.WriteStartArray("Dimensions");
            json.WriteEndArray();
            json.WriteString("Format/Datatype", FakeLayer.Format(precision));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static string LayerType(FakeLayer layer) => layer.OpType switch
    {
        "Conv" or "ConvTranspose" => "CaskConvolution",
        "Gemm" or "MatMul" => "CaskGemmMatrixMultiply",
        "DequantizeLinear" => "Dequantize",
        "QuantizeLinear" => "Quantize",
        _ => "PointWiseV2",
    };
}
