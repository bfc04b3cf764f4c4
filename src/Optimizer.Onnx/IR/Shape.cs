namespace Optimizer.Onnx.IR;

/// <summary>An immutable tensor shape. A shape of rank 0 is a scalar; an unknown rank is a null <see cref="Shape"/>.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly Dim[] _dims;

    public Shape(IEnumerable<Dim> dims) => _dims = dims.ToArray();

    public Shape(params long[] dims) => _dims = dims.Select(Dim.Of).ToArray();

    public static Shape Scalar { get; } = new(Array.Empty<Dim>());

    public IReadOnlyList<Dim> Dims => _dims;

    public int Rank => _dims.Length;

    public Dim this[int index] => _dims[index];

    public bool IsStatic => _dims.All(d => d.IsStatic);

    /// <summary>The sizes, when every dimension is known.</summary>
    public long[]? TryGetStatic() => IsStatic ? _dims.Select(d => d.Value!.Value).ToArray() : null;

    public long[] ToStatic() => TryGetStatic() ?? throw new InvalidOperationException($"shape {this} is not static");

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => Equals(obj as Shape);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(",", _dims.Select(d => d.ToString())) + "]";
}
