namespace Optimizer.Runtime.Calibration;

/// <summary>
/// The range chosen for one tensor. It always holds zero (<c>Min &lt;= 0 &lt;= Max</c>), so that zero is exactly
/// representable after quantization. For symmetric quantization use <see cref="AbsMax"/>.
/// </summary>
public sealed record TensorRange(string Name, float Min, float Max)
{
    /// <summary><c>max(|Min|, |Max|)</c>: the amax of symmetric quantization.</summary>
    public float AbsMax => MathF.Max(MathF.Abs(Min), MathF.Abs(Max));

    /// <summary>
    /// False when no sample computed the tensor (it lies in an If branch the samples did not take, or a loop body that
    /// never ran): [0, 0] then says nothing about its values, and nothing may be quantized with it.
    /// </summary>
    public bool Observed { get; init; } = true;
}
