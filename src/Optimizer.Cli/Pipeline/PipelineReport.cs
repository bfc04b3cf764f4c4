using Optimizer.Onnx.Analysis;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Cli.Pipeline;

/// <summary>OUT/report.json: what the pipeline read, did and wrote.</summary>
public sealed record PipelineReport
{
    public required string Input { get; init; }
    public required string Output { get; init; }
    public required long InputBytes { get; init; }
    public required long OutputBytes { get; init; }
    public required IReadOnlyList<string> Passes { get; init; }
    /// <summary>What each pass changed, in the order they ran.</summary>
    public required IReadOnlyList<PassRecord> PassResults { get; init; }
    /// <summary>Rewrites that matched but were not made, with the reason.</summary>
    public required IReadOnlyList<PassDecline> Declines { get; init; }
    public required ModelSummary Before { get; init; }
    public required ModelSummary After { get; init; }
    public required double Seconds { get; init; }
    /// <summary>What <c>--quantize</c> did; null when not asked.</summary>
    public QuantizationReport? Quantization { get; init; }
    /// <summary>What <c>--quantize fp16|bf16</c> did; null when not asked.</summary>
    public HalfPrecisionReport? HalfPrecision { get; init; }
    /// <summary>What <c>--prune</c> did; null when not asked.</summary>
    public PruningReport? Pruning { get; init; }
}
