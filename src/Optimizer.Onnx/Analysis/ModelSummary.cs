using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Analysis;

/// <summary>What is in a model, as <c>optimize inspect</c> shows it and reports record it.</summary>
public sealed record ModelSummary
{
    public required long IrVersion { get; init; }
    public required IReadOnlyList<OpsetSummary> Opsets { get; init; }
    public required string Producer { get; init; }
    public required string Domain { get; init; }
    public required long ModelVersion { get; init; }
    public required IReadOnlyList<ValueSummary> Inputs { get; init; }
    public required IReadOnlyList<ValueSummary> Outputs { get; init; }
    /// <summary>Nodes of the main graph.</summary>
    public required int NodeCount { get; init; }
    /// <summary>Nodes including those inside subgraphs.</summary>
    public required int TotalNodeCount { get; init; }
    public required int SubgraphCount { get; init; }
    public required int FunctionCount { get; init; }
    /// <summary>Operator counts over all graphs (domain-qualified for non-ONNX domains), most frequent first.</summary>
    public required IReadOnlyList<OpCount> Operators { get; init; }
    public required ParameterSummary Initializers { get; init; }
    /// <summary>Tensors held by Constant nodes (some exporters keep all weights there).</summary>
    public required ParameterSummary Constants { get; init; }
    public required IReadOnlyList<ExternalFileSummary> ExternalDataFiles { get; init; }
    public required IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; }

    public static ModelSummary Of(Model model)
    {
        var graphs = model.Graph.AllGraphs().ToList();
        var nodes = graphs.SelectMany(g => g.Nodes).ToList();
        var initializers = graphs.SelectMany(g => g.Initializers).Select(v => v.Initializer!).ToList();
        var constants = nodes.Where(n => n.IsConstantNode).Select(ConstantNodes.GetValue).OfType<Tensor>().ToList();
        var baseDir = model.SourcePath is null ? null : Path.GetDirectoryName(model.SourcePath);
        return new ModelSummary
        {
            IrVersion = model.IrVersion,
            Opsets = model.OpsetImports.Select(o => new OpsetSummary(o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o.Version)).ToList(),
            Producer = (model.ProducerName + " " + model.ProducerVersion).Trim(),
            Domain = model.Domain,
            ModelVersion = model.ModelVersion,
            Inputs = model.Graph.Inputs.Where(v => !v.IsInitializer).Select(ValueSummary.Of).ToList(),
            Outputs = model.Graph.Outputs.Select(ValueSummary.Of).ToList(),
            NodeCount = model.Graph.Nodes.Count,
            TotalNodeCount = nodes.Count,
            SubgraphCount = graphs.Count - 1,
            FunctionCount = model.Functions.Count,
            Operators = nodes.GroupBy(n => n.IsDefaultDomain ? n.OpType : $"{n.Domain}.{n.OpType}")
                .Select(g => new OpCount(g.Key, g.Count()))
                .OrderByDescending(o => o.Count).ThenBy(o => o.Op, StringComparer.Ordinal).ToList(),
            Initializers = ParameterSummary.Of(initializers),
            Constants = ParameterSummary.Of(constants),
            ExternalDataFiles = initializers.Select(t => t.Data).OfType<ExternalTensorData>()
                .GroupBy(e => e.Path)
                .Select(g => new ExternalFileSummary(baseDir is null ? g.Key : Path.GetRelativePath(baseDir, g.Key), g.Count(), g.Sum(e => e.Length)))
                .ToList(),
            Metadata = model.Metadata.ToList(),
        };
    }
}

public sealed record OpsetSummary(string Domain, long Version);

public sealed record OpCount(string Op, int Count);

public sealed record ExternalFileSummary(string Path, int Tensors, long Bytes);

/// <summary>A graph input or output: name, element type and dims (symbolic ones by name, unknown as "?").</summary>
public sealed record ValueSummary(string Name, string ElementType, IReadOnlyList<string>? Dims)
{
    public static ValueSummary Of(Value v) => v.Type switch
    {
        TensorTypeInfo t => new(v.Name, t.ElementType.ShortName(), t.Shape?.Dims.Select(d => d.ToString()).ToList()),
        null => new(v.Name, "?", null),
        var other => new(v.Name, other.ToString()!, null),
    };

    public override string ToString() => $"{Name}: {ElementType}" + (Dims is null ? "[...]" : "[" + string.Join(",", Dims) + "]");
}

public sealed record ParameterSummary(int Tensors, long Elements, long Bytes, IReadOnlyList<ElementTypeCount> ByElementType)
{
    public static ParameterSummary Of(IReadOnlyList<Tensor> tensors) => new(
        tensors.Count,
        tensors.Sum(t => t.ElementCount),
        tensors.Sum(t => t.ByteCount),
        tensors.GroupBy(t => t.ElementType)
            .Select(g => new ElementTypeCount(g.Key.ShortName(), g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteCount)))
            .OrderByDescending(c => c.Bytes).ToList());
}

public sealed record ElementTypeCount(string ElementType, int Tensors, long Elements, long Bytes);
