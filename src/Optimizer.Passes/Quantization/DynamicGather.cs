using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Gather from a constant float table along axis 0 (an embedding lookup): the table is stored int8 (4x smaller),
/// Gather picks int8 rows, and only the picked rows are turned back into float. ONNX Runtime's quantize_dynamic
/// (operators/gather.py) does the same with one scale for the table and a DequantizeLinear after the Gather; here
/// each row has its own scale by default, gathered with the same indices:
/// <code>
/// per row:    y = Mul(Cast(Gather(table_q, ids), float), Gather(row_scales[V,1], ids))
/// per tensor: y = DequantizeLinear(Gather(table_q, ids), scale, 0)
/// </code>
/// A DequantizeLinear of the whole table before the Gather would be standard too, but it runs on every call over
/// the whole table (ONNX Runtime does not fold DequantizeLinear), which costs far more than the lookup.
/// </summary>
internal sealed class DynamicGather(QuantizationSettings settings)
{
    /// <summary>
    /// Smaller tables stay float. They save little, and a small table's rows repeat over the whole sequence (token
    /// types, positions), so their rounding is a bias every token shares rather than noise: on arctic_embed_xs the
    /// [2,384] token-type and [512,384] position tables cost more embedding accuracy than the [30522,384] word table.
    /// </summary>
    public const long MinTableBytes = 1 << 20;

    public sealed record Match(Node Gather, Value Table, float[] Data, long[] Dims);

    public MatchResult<Match> Check(Node gather)
    {
        if (gather.Input(0) is not { } table || gather.Input(1) is null) return MatchResult<Match>.NoMatch;
        if (table.ElementType != ElementType.Float && Patterns.Constant(table)?.ElementType != ElementType.Float) return MatchResult<Match>.NoMatch;
        if (table.IsOverridable) return new Fail($"the table '{table.Name}' is a graph input a caller may override; it is not quantized");
        if (Patterns.Constant(table) is not { ElementType: ElementType.Float } t) return MatchResult<Match>.NoMatch;
        if (settings.IsExcluded(gather)) return new Fail("excluded from quantization (--exclude, or kept in float)");
        var rank = t.Dims.Count;
        var axis = gather.GetInt("axis", 0);
        if (axis < 0) axis += rank;
        if (axis != 0) return new Fail($"the Gather is along axis {axis}; only row lookups (axis 0) are quantized");
        if (rank < 2) return new Fail("the table is 1-D; only tables of rows are quantized");
        if (t.ByteCount < MinTableBytes) return new Fail($"the table [{string.Join(",", t.Dims)}] is smaller than {MinTableBytes >> 20} MiB; small tables stay float");
        return new Match(gather, table, t.ToArray<float>(), t.Dims.ToArray());
    }

    // y = Gather(table, ids)
    //   => y = Mul(Cast(Gather(table_q, ids), float), Gather(row_scales, ids))       (per row)
    //   => y = DequantizeLinear(Gather(table_q, ids), scale, zero_point)              (per tensor)
    public void Rewrite(Match m, PassContext context)
    {
        var gather = m.Gather;
        var graph = gather.Graph!;
        var output = gather.Output();
        var ids = gather.Input(1)!;
        var hint = output.Name;
        var q = WeightQuantizer.Quantize(m.Data, m.Dims, settings.PerTensorWeights ? -1 : 0);
        context.Step($"table [{string.Join(",", m.Dims)}] stored int8 with {(q.PerChannel ? $"{m.Dims[0]} row scales" : "one scale")}; rows dequantized after the lookup", gather);

        var table = Patterns.AddInitializer(graph, m.Table.Name + "_quantized", q.Values, m.Dims);
        var rows = Patterns.InsertBefore(gather, "Gather", [table, ids], hint + "_int8", [Attribute.FromInt("axis", 0)]).Output();
        var shape = output.Shape;
        rows.Type = new TensorTypeInfo(ElementType.Int8, shape);
        Value result;
        if (q.PerChannel)
        {
            var scaleDims = m.Dims.Select((d, i) => i == 0 ? d : 1).ToArray();
            var scales = Patterns.AddInitializer(graph, m.Table.Name + "_row_scale", q.Scales, scaleDims);
            var rowScales = Patterns.InsertBefore(gather, "Gather", [scales, ids], hint + "_row_scale", [Attribute.FromInt("axis", 0)]).Output();
            var cast = Patterns.InsertBefore(gather, "Cast", [rows], hint + "_float", [Attribute.FromInt("to", (long)ElementType.Float)]).Output();
            cast.Type = new TensorTypeInfo(ElementType.Float, shape);
            result = Patterns.InsertBefore(gather, "Mul", [cast, rowScales], hint + "_dequantized").Output();
        }
        else
        {
            var scale = Patterns.AddInitializer(graph, m.Table.Name + "_scale", q.Scales);
            var zero = graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(m.Table.Name + "_zero_point"), (sbyte)0));
            result = Patterns.InsertBefore(gather, "DequantizeLinear", [rows, scale, zero], hint + "_dequantized").Output();
        }
        result.Type = output.Type;
        Patterns.Replace(output, result);
        graph.RemoveNode(gather);
        DynamicMatMul.RemoveIfUnused(m.Table);
    }
}
