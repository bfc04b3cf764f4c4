namespace Optimizer.Cli.Triton;

/// <summary><c>--emit triton REPO</c> and its options, parsed from the command line.</summary>
public sealed record TritonOptions
{
    /// <summary>The model repository folder (REPO).</summary>
    public required string Repository { get; init; }

    /// <summary>The model's name (and folder), checked: <c>--triton-name</c>, or the model file's stem.</summary>
    public required string Name { get; init; }

    /// <summary>max_batch_size asked for (<c>--triton-max-batch</c>).</summary>
    public int? MaxBatch { get; init; }

    /// <summary>A bench report.json whose batch search sets the batching (<c>--triton-batch-from</c>).</summary>
    public string? BatchReport { get; init; }
}
