using Optimizer.Onnx.Protobuf;

namespace FakeTrtexec;

/// <summary>
/// Decides the engine's layers and their precisions the way the builder would:
/// - Conv/ConvTranspose/Gemm/MatMul with Q→DQ on both the activation and the weight run in INT8, and their DQ
///   nodes fuse into them; with Q/DQ on one input only, the layer falls back to a float precision;
/// - a weakly typed build runs the other float layers in FP16 with --fp16/--best, else FP32, and with --int8/--best on
///   a model without Q/DQ quantizes the compute layers implicitly (dummy ranges);
/// - a strongly typed build takes each layer's precision from its tensor types.
/// </summary>
internal static class LayerPlanner
{
    private static readonly HashSet<string> Compute = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    public static IReadOnlyList<FakeLayer> Plan(OnnxNetwork network, FakeOptions options)
    {
        var fused = new HashSet<NodeProto>();
        var layers = new List<FakeLayer>();
        foreach (var node in network.Nodes.Where(n => Compute.Contains(n.OpType) && IsInt8Ready(network, n)))
            fused.UnionWith(DequantizeInputs(network, node));
        foreach (var node in network.Nodes)
        {
            if (node.OpType is "Constant" or "Identity" || fused.Contains(node) || IsWeightQdq(network, node)) continue;
            var precision = Precision(network, options, node);
            var names = precision == LayerPrecision.Int8 && Compute.Contains(node.OpType)
                ? DequantizeInputs(network, node).Select(network.LayerName).Append(network.LayerName(node)).ToList()
                : [network.LayerName(node)];
            layers.Add(new FakeLayer(names, node.OpType, node.Input.Where(i => i.Length > 0 && !network.IsConstant(i)).ToList(), node.Output.ToList(),
                precision, WeightCount(network, node)));
        }
        return layers;
    }

    private static bool IsInt8Ready(OnnxNetwork network, NodeProto node) =>
        node.Input.Count >= 2
        && network.ProducerOf(node.Input[0])?.OpType == "DequantizeLinear"
        && network.ProducerOf(node.Input[1])?.OpType == "DequantizeLinear";

    private static IEnumerable<NodeProto> DequantizeInputs(OnnxNetwork network, NodeProto node) =>
        node.Input.Select(network.ProducerOf).OfType<NodeProto>().Where(p => p.OpType == "DequantizeLinear");

    /// <summary>Q/DQ of constant weights is folded into the weights at build time.</summary>
    private static bool IsWeightQdq(OnnxNetwork network, NodeProto node) =>
        OnnxNetwork.IsQdq(node) && network.IsConstant(node.Input[0]);

    private static LayerPrecision Precision(OnnxNetwork network, FakeOptions options, NodeProto node)
    {
        var type = node.Input.Count > 0 && network.ElementTypes.TryGetValue(node.Input[0], out var t) ? t : 1;
        if (node.OpType == "DequantizeLinear") return LayerPrecision.Int8;
        if (type is 6) return LayerPrecision.Int32;
        if (type is 7) return LayerPrecision.Int64;
        if (type is 9) return LayerPrecision.Bool;
        if (Compute.Contains(node.OpType) && IsInt8Ready(network, node)) return LayerPrecision.Int8;
        if (options.StronglyTyped) return type == 10 ? LayerPrecision.Fp16 : LayerPrecision.Fp32;
        var int8 = options.Int8 || options.Best;
        if (int8 && !network.HasQdq && Compute.Contains(node.OpType)) return LayerPrecision.Int8;
        return options.Fp16 || options.Best ? LayerPrecision.Fp16 : LayerPrecision.Fp32;
    }

    private static long WeightCount(OnnxNetwork network, NodeProto node) =>
        node.Input.Where(network.IsConstant).Select(i => network.Constants.GetValueOrDefault(i)
            ?? network.Constants.GetValueOrDefault(network.ProducerOf(i)?.Input[0] ?? ""))
            .OfType<TensorProto>().Sum(TensorValues.ElementCount);
}
