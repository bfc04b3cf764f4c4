namespace Optimizer.Onnx.IR;

/// <summary>The type of a value: a tensor (element type and shape), or a sequence, map, optional or sparse tensor.</summary>
public abstract record TypeInfo
{
    /// <summary>ONNX's optional type denotation (IMAGE, AUDIO, TEXT, ...).</summary>
    public string? Denotation { get; init; }
}

/// <summary>A dense tensor. <see cref="Shape"/> is null when the rank is unknown.</summary>
public sealed record TensorTypeInfo(ElementType ElementType, Shape? Shape) : TypeInfo
{
    public override string ToString() => ElementType.ShortName() + (Shape?.ToString() ?? "[...]");
}

public sealed record SparseTensorTypeInfo(ElementType ElementType, Shape? Shape) : TypeInfo
{
    public override string ToString() => "sparse " + ElementType.ShortName() + (Shape?.ToString() ?? "[...]");
}

public sealed record SequenceTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    public override string ToString() => $"seq({ElementType})";
}

public sealed record MapTypeInfo(ElementType KeyType, TypeInfo? ValueType) : TypeInfo
{
    public override string ToString() => $"map({KeyType.ShortName()},{ValueType})";
}

public sealed record OptionalTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    public override string ToString() => $"optional({ElementType})";
}

/// <summary>A TypeProto with no value set (ONNX allows it, for example in function bodies).</summary>
public sealed record UnspecifiedTypeInfo : TypeInfo
{
    public override string ToString() => "?";
}
