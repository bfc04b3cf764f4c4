namespace Optimizer.Onnx.IR;

/// <summary>
/// One dimension of a shape: a known size, a symbolic name (<c>batch</c>), or unknown.
/// <see cref="Denotation"/> is ONNX's optional semantic tag (DATA_BATCH, ...).
/// </summary>
public readonly record struct Dim(long? Value, string? Param, string? Denotation = null)
{
    public static Dim Unknown => default;

    public static Dim Of(long value) => new(value, null);

    public static Dim Symbol(string name) => new(null, name);

    public bool IsStatic => Value.HasValue;

    public bool IsSymbolic => Param is not null;

    public static implicit operator Dim(long value) => Of(value);

    public override string ToString() => Value?.ToString() ?? Param ?? "?";
}
