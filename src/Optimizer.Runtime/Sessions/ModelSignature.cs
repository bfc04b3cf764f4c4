using Microsoft.ML.OnnxRuntime;

namespace Optimizer.Runtime.Sessions;

/// <summary>The inputs and outputs of a loaded model, in ONNX Runtime's order.</summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    public static ModelSignature Of(InferenceSession session) => new(
        session.InputNames.Select(n => Spec(n, session.InputMetadata[n])).ToArray(),
        session.OutputNames.Select(n => Spec(n, session.OutputMetadata[n])).ToArray());

    public TensorSpec? FindInput(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    private static TensorSpec Spec(string name, NodeMetadata meta) => meta.IsTensor
        ? new TensorSpec(name, meta.ElementDataType, meta.Dimensions.Select(d => (long)d).ToArray(), meta.SymbolicDimensions ?? [], true)
        : new TensorSpec(name, default, [], [], false);
}
