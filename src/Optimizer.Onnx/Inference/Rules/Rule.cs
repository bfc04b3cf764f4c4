namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Infers the outputs of one node from its inputs (through <see cref="NodeContext"/>).</summary>
internal delegate void Rule(NodeContext context);
