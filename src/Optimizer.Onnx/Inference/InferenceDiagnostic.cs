namespace Optimizer.Onnx.Inference;

/// <summary>
/// Something inference noticed and could not reconcile: inputs whose shapes do not fit the operator (MatMul inner
/// dims 3 vs 4), a type that contradicts the one the model states, a rule that failed. The node's outputs are then
/// left as they were.
/// </summary>
public sealed record InferenceDiagnostic(string NodeName, string OpType, string Message)
{
    public override string ToString() => $"{OpType}" + (NodeName.Length > 0 ? $" '{NodeName}'" : "") + $": {Message}";
}

/// <summary>Thrown by a rule when the node's inputs are inconsistent; the driver turns it into a diagnostic.</summary>
internal sealed class InferenceException(string message) : Exception(message);
