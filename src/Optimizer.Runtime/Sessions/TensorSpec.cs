using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Runtime.Data;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// One input or output of a model as ONNX Runtime sees it: name, element type, and dims where -1 is a dynamic
/// dimension (its symbolic name, when the model has one, is in <see cref="SymbolicDims"/>).
/// </summary>
public sealed record TensorSpec(string Name, TensorElementType ElementType, long[] Dims, string[] SymbolicDims, bool IsTensor)
{
    public string DimsText => string.Join(",", Dims.Select((d, i) => d >= 0 ? d.ToString() : SymbolicName(i)));

    public string SymbolicName(int axis) =>
        axis < SymbolicDims.Length && !string.IsNullOrEmpty(SymbolicDims[axis]) ? SymbolicDims[axis] : "?";

    /// <summary>Whether <paramref name="shape"/> fits: same rank, and equal wherever this spec's dim is fixed.</summary>
    public bool Accepts(long[] shape) =>
        shape.Length == Dims.Length && Dims.Zip(shape).All(p => p.First < 0 || p.First == p.Second);

    public string Describe() => $"{TensorTypes.Name(ElementType)}[{DimsText}]";
}
