namespace Optimizer.Cli.Pipeline;

/// <summary>What <c>optimize MODEL ...</c> was asked to do, parsed once from the command line.</summary>
public sealed record OptimizeOptions
{
    public required string ModelPath { get; init; }

    /// <summary>The output folder; default: the model's folder/&lt;stem&gt;.opt/.</summary>
    public required string OutDir { get; init; }

    /// <summary>Exactly these passes, in this order; empty means none (read and write only); null means the default pipeline.</summary>
    public IReadOnlyList<string>? Passes { get; init; }

    public bool Json { get; init; }

    public static string DefaultOutDir(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".opt");
}
