using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Onnx.Serialization;

/// <summary>Converts between TypeProto and <see cref="TypeInfo"/>.</summary>
internal static class TypeCodec
{
    /// <summary>
    /// Reads a type. A negative dim_value (PaddlePaddle's exporter writes -1 for a dynamic batch) is an unknown dim,
    /// as ONNX Runtime reads it (it clears negative dim_values when it loads a model); taken as a size, shape
    /// inference would fold Shape(x) into -1 and write Reshape targets with two -1s. An unchanged type is written
    /// back as read; a changed one writes an unknown dim with neither value nor param.
    /// </summary>
    public static TypeInfo Import(TypeProto p)
    {
        TypeInfo type = p.ValueCase switch
        {
            TypeProto.ValueOneofCase.TensorType => new TensorTypeInfo((ElementType)p.TensorType.ElemType, ImportShape(p.TensorType.Shape)),
            TypeProto.ValueOneofCase.SparseTensorType => new SparseTensorTypeInfo((ElementType)p.SparseTensorType.ElemType, ImportShape(p.SparseTensorType.Shape)),
            TypeProto.ValueOneofCase.SequenceType => new SequenceTypeInfo(p.SequenceType.ElemType is { } e ? Import(e) : null),
            TypeProto.ValueOneofCase.MapType => new MapTypeInfo((ElementType)p.MapType.KeyType, p.MapType.ValueType is { } v ? Import(v) : null),
            TypeProto.ValueOneofCase.OptionalType => new OptionalTypeInfo(p.OptionalType.ElemType is { } o ? Import(o) : null),
            _ => new UnspecifiedTypeInfo(),
        };
        return p.HasDenotation ? type with { Denotation = p.Denotation } : type;
    }

    private static Shape? ImportShape(TensorShapeProto? p) =>
        p is null ? null : new Shape(p.Dim.Select(d => new Dim(
            d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? d.DimValue : null,
            d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && !IsUnknownParam(d.DimParam) ? d.DimParam : null,
            d.HasDenotation ? d.Denotation : null)));

    /// <summary>
    /// dim_params that name no size: "" (ONNX Runtime clears it as invalid) and "?" (PaddlePaddle writes it for every
    /// unknown dim, so [-1, 3, ?, ?] would otherwise claim height = width).
    /// </summary>
    private static bool IsUnknownParam(string param) => param.Length == 0 || param == "?";

    public static TypeProto Export(TypeInfo type)
    {
        var p = new TypeProto();
        switch (type)
        {
            case TensorTypeInfo t:
                p.TensorType = new TypeProto.Types.Tensor { Shape = ExportShape(t.Shape) };
                if (t.ElementType != ElementType.Undefined) p.TensorType.ElemType = (int)t.ElementType;
                break;
            case SparseTensorTypeInfo s:
                p.SparseTensorType = new TypeProto.Types.SparseTensor { Shape = ExportShape(s.Shape) };
                if (s.ElementType != ElementType.Undefined) p.SparseTensorType.ElemType = (int)s.ElementType;
                break;
            case SequenceTypeInfo q:
                p.SequenceType = new TypeProto.Types.Sequence { ElemType = q.ElementType is null ? null : Export(q.ElementType) };
                break;
            case MapTypeInfo m:
                p.MapType = new TypeProto.Types.Map { KeyType = (int)m.KeyType, ValueType = m.ValueType is null ? null : Export(m.ValueType) };
                break;
            case OptionalTypeInfo o:
                p.OptionalType = new TypeProto.Types.Optional { ElemType = o.ElementType is null ? null : Export(o.ElementType) };
                break;
        }
        if (type.Denotation is not null) p.Denotation = type.Denotation;
        return p;
    }

    private static TensorShapeProto? ExportShape(Shape? shape)
    {
        if (shape is null) return null;
        var p = new TensorShapeProto();
        foreach (var d in shape.Dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Value is { } v) dim.DimValue = v;
            else if (d.Param is { } s) dim.DimParam = s;
            if (d.Denotation is not null) dim.Denotation = d.Denotation;
            p.Dim.Add(dim);
        }
        return p;
    }
}
