using System.IO.Compression;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--prune</c> after the FP32 passes (BatchNormalization folded, shapes known) and before <c>--quantize</c>: the
/// structured or unstructured pruning pass (IR only), and the figures of the report: parameters, FLOPs, file size
/// and its deflate-compressed size before and after, per layer channels or sparsity.
/// </summary>
public static class PruningStep
{
    public const string CpuNote = "Unstructured zeros do not speed up dense CPU kernels: the graph and its dense weights keep their shapes. "
                                  + "They make the file compress better, and sparse kernels (TensorRT's 2:4 on Ampere and later GPUs) can skip them.";

    /// <summary>Prunes <paramref name="model"/> in place with <paramref name="settings"/> (the asked ones, or a budget round's).</summary>
    public static PruningOutcome Run(Model model, PruneOptions prune, PruningSettings settings, PassContext context)
    {
        var bytesBefore = ModelWriter.ToBytes(model);
        IReadOnlyList<PassRecord> records;
        PruningReport report;
        if (prune.Structured)
        {
            var pass = new StructuredPruning(settings);
            records = PassRunner.Run(model, [pass, new InferShapes(), new DropIntermediateShapes()], context);
            var r = pass.Result!;
            report = new PruningReport
            {
                Mode = prune.Mode,
                Norm = settings.Norm.ToString().ToLowerInvariant(),
                Threshold = settings.Threshold,
                Amount = settings.Amount,
                MaxPerLayer = settings.MaxPerLayer,
                ChannelsPrunable = r.ChannelsPrunable,
                ChannelsRemoved = r.ChannelsRemoved,
                ParametersBefore = r.ParametersBefore,
                ParametersAfter = r.ParametersAfter,
                FlopsBefore = r.FlopsBefore,
                FlopsAfter = r.FlopsAfter,
                Layers = r.Layers,
                Groups = r.Groups,
            };
        }
        else
        {
            var pass = new UnstructuredPruning(settings);
            records = PassRunner.Run(model, [pass], context);
            var parameters = LayerCosts.Parameters(model);
            report = new PruningReport
            {
                Mode = prune.Mode,
                Threshold = settings.Threshold,
                Amount = settings.Amount,
                Scope = settings.Scope.ToString().ToLowerInvariant(),
                Pattern = settings.TwoFour ? "2:4" : null,
                ParametersBefore = parameters,
                ParametersAfter = parameters,
                Sparsity = pass.Result,
                Note = CpuNote,
            };
        }
        var bytesAfter = ModelWriter.ToBytes(model);
        report = report with
        {
            BytesBefore = bytesBefore.LongLength,
            BytesAfter = bytesAfter.LongLength,
            DeflateBytesBefore = DeflateSize(bytesBefore),
            DeflateBytesAfter = DeflateSize(bytesAfter),
        };
        return new PruningOutcome(report, records);
    }

    /// <summary>The size of <paramref name="bytes"/> compressed with deflate (as a .zip would store the model).</summary>
    public static long DeflateSize(byte[] bytes)
    {
        using var sink = new MemoryStream();
        using (var deflate = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true)) deflate.Write(bytes);
        return sink.Length;
    }

    /// <summary>The engine's trtexec settings: <c>--sparsity=enable</c> added when the model was pruned to the 2:4 pattern.</summary>
    public static BuildSettings EngineSettings(BuildSettings settings, PruneOptions? prune) =>
        prune?.Settings.TwoFour != true || settings.ExtraArgs.Any(a => a.StartsWith("--sparsity", StringComparison.Ordinal))
            ? settings
            : settings with { ExtraArgs = [.. settings.ExtraArgs, "--sparsity=enable"] };
}

/// <summary>What pruning did, and the pass records for the report's pass table.</summary>
public sealed record PruningOutcome(PruningReport Report, IReadOnlyList<PassRecord> Records);

/// <summary>The "pruning" section of OUT/report.json and of the manifest.</summary>
public sealed record PruningReport
{
    public required string Mode { get; init; }
    public string? Norm { get; init; }
    public double? Threshold { get; init; }
    /// <summary>The amount asked; see <see cref="Budget"/> for the amount reached under an accuracy budget.</summary>
    public double? Amount { get; init; }
    public string? Scope { get; init; }
    public string? Pattern { get; init; }
    public double? MaxPerLayer { get; init; }
    public int? ChannelsPrunable { get; init; }
    public int? ChannelsRemoved { get; init; }
    public long ParametersBefore { get; init; }
    public long ParametersAfter { get; init; }
    public long? FlopsBefore { get; init; }
    public long? FlopsAfter { get; init; }
    public long BytesBefore { get; init; }
    public long BytesAfter { get; init; }
    public long DeflateBytesBefore { get; init; }
    public long DeflateBytesAfter { get; init; }
    public IReadOnlyList<LayerPruning>? Layers { get; init; }
    public IReadOnlyList<ChannelGroup>? Groups { get; init; }
    public IReadOnlyList<LayerSparsity>? Sparsity { get; init; }
    public string? Note { get; init; }
    public PruningBudgetReport? Budget { get; init; }
}
