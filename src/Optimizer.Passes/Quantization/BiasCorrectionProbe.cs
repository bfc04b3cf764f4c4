using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Quantization;

/// <summary>A site of <see cref="BiasCorrectionProbe"/>: the FP32 output and the quantized copy's output to compare.</summary>
public sealed record ProbedSite(BiasSite Site, string Float, string Quantized);

/// <summary>
/// Builds the model bias correction measures on: the FP32 model plus, beside each <see cref="BiasSite"/>, a copy of
/// the node as the quantized model computes it (its inputs through the same QuantizeLinear/DequantizeLinear with the
/// same scales, zero points and int8/int32 initializers), fed the FP32 model's own input. One run then gives, per
/// layer, its own quantization error alone (input rounding and clipping, weight and bias rounding), without the error
/// that reaches it from the layers before: correcting every layer by its own error at once does not correct the
/// same error twice. Changes neither model.
/// </summary>
public static class BiasCorrectionProbe
{
    /// <summary>
    /// The probe model (a new one) and the sites it covers; a site whose quantized node cannot be copied (its inputs
    /// are not Q/DQ of FP32 tensors or constants) is left out.
    /// </summary>
    public static (Model Probe, IReadOnlyList<ProbedSite> Sites) Build(Model fp32, Model quantized, IReadOnlyList<BiasSite> sites)
    {
        var probe = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(fp32)), null);
        var graph = probe.Graph;
        var byName = quantized.Graph.Nodes.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var floats = graph.DefinedValues().GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var probed = new List<ProbedSite>();
        foreach (var site in sites)
        {
            if (!byName.TryGetValue(site.Node, out var node) || !floats.ContainsKey(site.Output)) continue;
            var copier = new Copier(graph, floats);
            var inputs = node.Inputs.Select(copier.Copy).ToList();
            if (copier.Failed || inputs.Count == 0 || inputs[0] is null) continue;
            var copy = new Node(node.OpType, inputs, [graph.UniqueValueName(site.Output + "_probe")], node.Domain, graph.UniqueNodeName(node.Name + "_probe"));
            foreach (var a in node.Attributes) copy.SetAttribute(a);
            foreach (var n in copier.Nodes) graph.Append(n);
            graph.Append(copy);
            copy.Output().Type = new TensorTypeInfo(ElementType.Float, null);
            graph.AddOutput(copy.Output());
            probed.Add(new ProbedSite(site, site.Output, copy.Output().Name));
        }
        return (probe, probed);
    }

    /// <summary>Copies the Q/DQ chain behind one input of a quantized node into the probe, reading FP32 tensors.</summary>
    private sealed class Copier(Graph graph, IReadOnlyDictionary<string, Value> floats)
    {
        public List<Node> Nodes { get; } = [];

        public bool Failed { get; private set; }

        public Value? Copy(Value? value)
        {
            if (value is null || Failed) return null;
            if (value.GetConstant() is { } constant)
                return graph.AddInitializer(constant.Clone(graph.UniqueValueName(value.Name + "_probe")));
            if (value.Producer is { IsDefaultDomain: true, OpType: "DequantizeLinear" or "QuantizeLinear" } producer)
            {
                // the input a QuantizeLinear quantizes is the FP32 model's tensor of that name (a folded Relu/Clip's
                // producer output: the Q's range clamps it as the Relu/Clip did)
                var inputs = producer.Inputs.Select((v, i) => producer.OpType == "QuantizeLinear" && i == 0 ? Float(v) : Copy(v)).ToList();
                if (Failed) return null;
                var node = new Node(producer.OpType, inputs, [graph.UniqueValueName(value.Name + "_probe")], "", graph.UniqueNodeName(producer.Name + "_probe"));
                foreach (Attribute a in producer.Attributes) node.SetAttribute(a);
                node.Output().Type = value.Type;
                Nodes.Add(node);
                return node.Output();
            }
            Failed = true;
            return null;
        }

        private Value? Float(Value? value)
        {
            if (value is not null && floats.TryGetValue(value.Name, out var f)) return f;
            Failed = true;
            return null;
        }
    }
}
