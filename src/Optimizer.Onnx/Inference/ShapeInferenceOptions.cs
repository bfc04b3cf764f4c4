namespace Optimizer.Onnx.Inference;

/// <summary>Settings of <see cref="ShapeInference.Run"/>.</summary>
public sealed record ShapeInferenceOptions
{
    /// <summary>Write inferred types into the values (and so into value_info when the model is written).</summary>
    public bool WriteTypes { get; init; } = true;

    /// <summary>The largest integer tensor (element count, rank 0 or 1) whose elements are propagated symbolically.</summary>
    public int MaxPropagatedElements { get; init; } = 64;
}
