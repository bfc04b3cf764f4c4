using Optimizer.Onnx.IR;

namespace Optimizer.TensorRt.Flags;

/// <summary>Reads <see cref="ModelFacts"/> from the IR.</summary>
public static class ModelFactsReader
{
    /// <summary>The ops TensorRT runs in INT8 when Q/DQ feeds them; the others stay in a float precision.</summary>
    private static readonly HashSet<string> Quantizable = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    public static ModelFacts FromModel(Model model)
    {
        var graph = model.Graph;
        // every graph's nodes: the main graph's, the If/Loop/Scan bodies' and the local functions'
        var nodes = model.AllGraphs().SelectMany(g => g.Nodes).ToList();
        var inputs = graph.Inputs
            .Select(v => new InputFact(v.Name, v.Shape?.Dims.Select(d => new DimFact(d.Value, d.Param)).ToList() ?? []))
            .ToList();
        var isQdq = nodes.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        var isFp16 = Carries(model, ElementType.Float16);
        // layer names as TensorRT gives them: the main graph's and its bodies' nodes (a function's are renamed when inlined)
        var quantized = graph.AllNodes()
            .Where(n => Quantizable.Contains(n.OpType) && n.Inputs.Any(i => i?.Producer?.OpType == "DequantizeLinear"))
            .Select(LayerName)
            .ToList();
        var isBf16 = Carries(model, ElementType.BFloat16);
        var cpuInt8 = nodes.Where(IsCpuInt8).GroupBy(n => n.OpType).Select(g => $"{g.Count()} {g.Key}").ToList();
        var widened = model.Metadata.Any(kv => kv.Key == ModelFacts.WidenedFromKey && kv.Value == "float16");
        return new ModelFacts(inputs, isQdq, isFp16, quantized) { IsBf16 = isBf16, CpuInt8Ops = cpuInt8, WidenedFromHalf = widened };
    }

    /// <summary>
    /// Whether an input, an initializer or a Constant of any graph holds <paramref name="type"/>: the main graph's, and
    /// the If/Loop/Scan bodies' and functions', where an exporter may have put all the computation (a model whose main
    /// graph only picks a branch has its weights in the branches).
    /// </summary>
    private static bool Carries(Model model, ElementType type) =>
        model.AllGraphs().Any(g =>
            g.Inputs.Concat(g.Initializers).Any(v => v.ElementType == type) ||
            g.Nodes.Any(n => n.IsConstantNode && ConstantNodes.GetValue(n)?.ElementType == type));

    private static bool IsCpuInt8(Node node) => node.IsDefaultDomain && node.OpType switch
    {
        "DynamicQuantizeLinear" or "MatMulInteger" or "ConvInteger" => true,
        // without a zero point QuantizeLinear writes uint8; DequantizeLinear reads its input's type
        "QuantizeLinear" => node.Input(2) is not { } zp || zp.ElementType == ElementType.UInt8,
        "DequantizeLinear" => node.Input(0)?.ElementType == ElementType.UInt8,
        _ => false,
    };

    /// <summary>
    /// The name TensorRT's ONNX parser gives the node's layer: the node's name, or for an unnamed node
    /// "node_of_" and its first output (onnx-tensorrt's getNodeName).
    /// </summary>
    public static string LayerName(Node node) =>
        node.Name.Length > 0 || node.Outputs.Count == 0 || node.Outputs[0] is not { } output ? node.Name : "node_of_" + output.Name;
}
