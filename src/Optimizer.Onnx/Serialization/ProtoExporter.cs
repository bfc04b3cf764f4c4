using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Writes the IR back to a ModelProto. Each object starts from the origin it was read from (what the IR does not
/// model, and field presence) and gets the IR's current state on top, so unchanged parts come back as they were.
/// </summary>
internal sealed class ProtoExporter(ExternalDataSink? external)
{
    /// <summary>IR version 3 and earlier: every initializer of the main graph must also be listed as a graph input.</summary>
    private bool _initializersAreInputs;

    public ModelProto ExportModel(Model model)
    {
        _initializersAreInputs = model.IrVersion < 4;
        var p = (model.Origin as ModelProto)?.Clone() ?? new ModelProto();
        ProtoFields.Sync(p.HasIrVersion, p.IrVersion, model.IrVersion, v => p.IrVersion = v);
        ProtoFields.Sync(p.HasProducerName, p.ProducerName, model.ProducerName, v => p.ProducerName = v);
        ProtoFields.Sync(p.HasProducerVersion, p.ProducerVersion, model.ProducerVersion, v => p.ProducerVersion = v);
        ProtoFields.Sync(p.HasDomain, p.Domain, model.Domain, v => p.Domain = v);
        ProtoFields.Sync(p.HasModelVersion, p.ModelVersion, model.ModelVersion, v => p.ModelVersion = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, model.DocString, v => p.DocString = v);
        p.OpsetImport.AddRange(model.OpsetImports.Select(ExportOpset));
        p.Graph = ExportGraph(model.Graph);
        p.MetadataProps.AddRange(model.Metadata.Select(kv => new StringStringEntryProto { Key = kv.Key, Value = kv.Value }));
        p.Functions.AddRange(model.Functions.Select(ExportFunction));
        return p;
    }

    private static OperatorSetIdProto ExportOpset(OpsetImport o)
    {
        var p = (o.Origin as OperatorSetIdProto)?.Clone() ?? new OperatorSetIdProto();
        if (o.Origin is null) p.Domain = o.Domain;
        else ProtoFields.Sync(p.HasDomain, p.Domain, o.Domain, v => p.Domain = v);
        ProtoFields.Sync(p.HasVersion, p.Version, o.Version, v => p.Version = v);
        return p;
    }

    private FunctionProto ExportFunction(Function f)
    {
        var p = (f.Origin as FunctionProto)?.Clone() ?? new FunctionProto();
        ProtoFields.Sync(p.HasName, p.Name, f.Name, v => p.Name = v);
        ProtoFields.Sync(p.HasDomain, p.Domain, f.Domain, v => p.Domain = v);
        ProtoFields.Sync(p.HasOverload, p.Overload, f.Overload, v => p.Overload = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, f.DocString, v => p.DocString = v);
        p.Input.AddRange(f.Body.Inputs.Select(v => v.Name));
        p.Output.AddRange(f.Body.Outputs.Select(v => v.Name));
        p.Attribute.AddRange(f.AttributeNames);
        p.AttributeProto.AddRange(f.AttributeDefaults.Select(ExportAttribute));
        p.Node.AddRange(f.Body.Nodes.Select(ExportNode));
        p.OpsetImport.AddRange(f.OpsetImports.Select(ExportOpset));
        p.ValueInfo.AddRange(ValueInfos(f.Body));
        return p;
    }

    public GraphProto ExportGraph(Graph g)
    {
        var p = (g.Origin as GraphProto)?.Clone() ?? new GraphProto();
        ProtoFields.Sync(p.HasName, p.Name, g.Name, v => p.Name = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, g.DocString, v => p.DocString = v);
        if (_initializersAreInputs && g.Parent is not null)
        {
            // Before IR 4 a subgraph's initializers would have to be its inputs, which its If/Loop/Scan fixes:
            // its constants are written as Constant nodes instead, valid at every IR version.
            p.Node.AddRange(g.Initializers.Select(ExportAsConstantNode));
            p.Node.AddRange(g.Nodes.Select(ExportNode));
            p.Input.AddRange(g.Inputs.Select(v => ExportValueInfo(v, v.InfoOrigin)));
        }
        else
        {
            p.Node.AddRange(g.Nodes.Select(ExportNode));
            p.Initializer.AddRange(g.Initializers.Select(v => ExportTensor(v.Initializer!, v.Name, attribute: false)));
            p.Input.AddRange(g.Inputs.Select(v => ExportValueInfo(v, v.InfoOrigin)));
            // Before IR 4 every initializer is also a graph input (a constant all the same): passes add initializers
            // without listing them, so the ones not yet listed are listed here, after the model's own inputs.
            if (_initializersAreInputs)
                p.Input.AddRange(g.Initializers.Where(v => !v.IsGraphInput).Select(v => ExportValueInfo(v, v.InfoOrigin)));
        }
        for (var i = 0; i < g.Outputs.Count; i++) p.Output.Add(ExportValueInfo(g.Outputs[i], g.OutputOrigins[i]));
        p.ValueInfo.AddRange(ValueInfos(g));
        return p;
    }

    /// <summary>value_info: the entries read (still alive) in their order, then every other typed node output.</summary>
    private static IEnumerable<ValueInfoProto> ValueInfos(Graph g)
    {
        var listed = new HashSet<Value>();
        foreach (var entry in g.ValueInfoEntries)
        {
            if (entry is ValueInfoProto raw)
                yield return raw.Clone();
            else if (entry is Value v && IsAlive(v, g) && listed.Add(v) && v.Type is not null)
                yield return ExportValueInfo(v, v.InfoOrigin);
        }
        foreach (var node in g.Nodes)
            foreach (var v in node.Outputs)
                if (v is { Type: not null, IsGraphOutput: false } && listed.Add(v))
                    yield return ExportValueInfo(v, null);
    }

    private NodeProto ExportAsConstantNode(Value v) => new()
    {
        OpType = "Constant",
        Name = v.Name + "_constant",
        Output = { v.Name },
        Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = ExportTensor(v.Initializer!, v.Name, attribute: true) } },
    };

    private static bool IsAlive(Value v, Graph g) =>
        v.Producer is { } p ? p.Graph == g : v.Graph == g && (v.IsGraphInput || v.IsInitializer);

    private static ValueInfoProto ExportValueInfo(Value v, object? origin)
    {
        if (origin is ValueInfoOrigin o && Equals(o.Type, v.Type))
        {
            var same = o.Proto.Clone();
            ProtoFields.Sync(same.HasName, same.Name, v.Name, n => same.Name = n);
            return same;
        }
        var p = (origin as ValueInfoOrigin)?.Proto.Clone() ?? new ValueInfoProto();
        p.Name = v.Name;
        p.Type = v.Type is null ? null : TypeCodec.Export(v.Type);
        return p;
    }

    private static int LastPresent(IReadOnlyList<Value?> inputs)
    {
        var last = inputs.Count - 1;
        while (last >= 0 && inputs[last] is null) last--;
        return last;
    }

    private NodeProto ExportNode(Node n)
    {
        var p = (n.Origin as NodeProto)?.Clone() ?? new NodeProto();
        // Absent optional inputs at the end are left out rather than written as "", as ONNX allows: the two mean the
        // same, and ONNX Runtime 1.31 crashes (SIGSEGV) optimizing a LayerNormalization whose bias is given as "".
        p.Input.AddRange(n.Inputs.Take(LastPresent(n.Inputs) + 1).Select(v => v?.Name ?? ""));
        p.Output.AddRange(n.Outputs.Select(v => v?.Name ?? ""));
        ProtoFields.Sync(p.HasName, p.Name, n.Name, v => p.Name = v);
        if (n.Origin is null) p.OpType = n.OpType;
        else ProtoFields.Sync(p.HasOpType, p.OpType, n.OpType, v => p.OpType = v);
        ProtoFields.Sync(p.HasDomain, p.Domain, n.Domain, v => p.Domain = v);
        ProtoFields.Sync(p.HasOverload, p.Overload, n.Overload, v => p.Overload = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, n.DocString, v => p.DocString = v);
        p.Attribute.AddRange(n.Attributes.Select(ExportAttribute));
        return p;
    }

    private AttributeProto ExportAttribute(Attribute a)
    {
        var origin = a.Origin as AttributeProto;
        var p = origin?.Clone() ?? new AttributeProto { Type = (AttributeProto.Types.AttributeType)a.Kind };
        ProtoFields.Sync(p.HasName, p.Name, a.Name, v => p.Name = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, a.DocString, v => p.DocString = v);
        if (a.RefAttrName is not null) p.RefAttrName = a.RefAttrName;
        else p.ClearRefAttrName();
        if (origin is not null && p.HasType && p.Type != (AttributeProto.Types.AttributeType)a.Kind)
            p.Type = (AttributeProto.Types.AttributeType)a.Kind;
        switch (a.Kind)
        {
            case AttributeKind.Float:
                if (origin is null || !p.HasF || BitConverter.SingleToInt32Bits(p.F) != BitConverter.SingleToInt32Bits(a.Float)) p.F = a.Float;
                break;
            case AttributeKind.Int:
                if (origin is null || !p.HasI || p.I != a.Int) p.I = a.Int;
                break;
            case AttributeKind.String:
                if (origin is null || !p.HasS || !p.S.Span.SequenceEqual(a.Bytes)) p.S = ByteString.CopyFrom(a.Bytes);
                break;
        }
        p.Floats.AddRange(a.Floats);
        p.Ints.AddRange(a.Ints);
        p.Strings.AddRange(a.Strings.Select(ByteString.CopyFrom));
        if (a.Tensor is not null) p.T = ExportTensor(a.Tensor, a.Tensor.Name, attribute: true);
        if (a.Graph is not null) p.G = ExportGraph(a.Graph);
        p.Tensors.AddRange(a.Tensors.Select(t => ExportTensor(t, t.Name, attribute: true)));
        p.Graphs.AddRange(a.Graphs.Select(ExportGraph));
        return p;
    }

    private TensorProto ExportTensor(Tensor t, string name, bool attribute)
    {
        if (t.Name != name) t.Name = name;
        var sink = attribute && external is { IncludeAttributeTensors: false } ? null : external;
        return TensorCodec.Export(t, sink);
    }
}
