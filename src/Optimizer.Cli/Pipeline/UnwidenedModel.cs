using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// A half-precision model as it was before <see cref="QuantizationStep.Prepare"/> (or <see cref="PruningBudget"/>, through <see cref="HalfWidening"/>)
/// widened it to float32: when INT8 then quantizes no node (or pruning removes nothing), the model goes back to it, so
/// that a model the step could not take is written in its own precision, not as a float32 copy twice its size.
/// </summary>
public sealed class UnwidenedModel
{
    private readonly byte[] _bytes;
    private readonly string _type;

    private UnwidenedModel(byte[] bytes, string type) => (_bytes, _type) = (bytes, type);

    /// <summary>The model as it is now, when it has half-precision weights that INT8 will widen (else null).</summary>
    public static UnwidenedModel? Snapshot(Model model) =>
        WidenHalfPrecision.HalfWeightedNodes(model) is { Count: > 0 } half
            ? new UnwidenedModel(ModelWriter.ToBytes(model), half[0].Input(1)!.ElementType.ToString().ToLowerInvariant())
            : null;

    /// <summary>Puts <paramref name="model"/> back as it was when INT8 quantized nothing; returns whether it did.</summary>
    public bool RestoreIfNothingQuantized(Model model, QuantizationReport report, TextWriter? stderr)
    {
        if (report.QuantizedNodes > 0) return false;
        Restore(model, stderr, "INT8 quantized nothing");
        return true;
    }

    /// <summary>Puts <paramref name="model"/> back as it was, saying so (<paramref name="because"/> the widening served nothing).</summary>
    public void Restore(Model model, TextWriter? stderr, string because)
    {
        QuantizationBudget.CopyInto(model, ModelReader.Read(new MemoryStream(_bytes), null));
        stderr?.WriteLine($"note: as {because}, the model is written with its {_type} weights as they were, not widened to float32");
    }
}
