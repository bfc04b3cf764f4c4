namespace Optimizer.Runtime.Sessions;

/// <summary>Where ONNX Runtime runs the model. A setting, so a GPU build of ONNX Runtime needs no code change.</summary>
public enum ExecutionProvider
{
    Cpu,
    Cuda,
    TensorRt,
}
