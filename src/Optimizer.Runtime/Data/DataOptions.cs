namespace Optimizer.Runtime.Data;

/// <summary>
/// Where samples come from: a folder (<see cref="Folder"/>), or random inputs from the model's signature when it is
/// null. Shared by --data, --calibrate and --validate.
/// </summary>
public sealed record DataOptions
{
    public string? Folder { get; init; }
    /// <summary>Shapes for dynamic dimensions (<c>--shapes name:1x3x224x224,...</c>), by input name.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; init; } = new Dictionary<string, long[]>();
    /// <summary>Image preprocessing given on the command line; overrides <c>preprocess.yaml</c> field by field.</summary>
    public PreprocessOverrides Preprocess { get; init; } = new();
    /// <summary>How many random samples to make when there is no folder.</summary>
    public int RandomSamples { get; init; } = 16;
    public int Seed { get; init; } = 1234;

    /// <summary>
    /// Refuses a data folder that is a file or does not exist; <paramref name="what"/> names it as the user gave it
    /// (an option such as --data, or "data folder").
    /// </summary>
    public static void CheckFolder(string folder, string what)
    {
        if (File.Exists(folder)) throw new Onnx.Errors.InvalidInputException($"{what} '{folder}' is a file; give the folder that holds the samples");
        if (!Directory.Exists(folder)) throw new Onnx.Errors.InvalidInputException($"{what} '{folder}' does not exist");
    }

    /// <summary>Parses <c>name:1x3x224x224,other:1x128</c>.</summary>
    public static IReadOnlyDictionary<string, long[]> ParseShapes(string? text)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return shapes;
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = item.LastIndexOf(':');
            if (colon <= 0)
                throw new Onnx.Errors.InvalidInputException($"--shapes: '{item}' is not name:DIMxDIM...");
            var dims = item[(colon + 1)..].Split('x', 'X');
            var parsed = dims.Select(d => long.TryParse(d, out var v) && v > 0 ? v : -1).ToArray();
            if (parsed.Any(d => d < 0))
                throw new Onnx.Errors.InvalidInputException($"--shapes: '{item}' has a dimension that is not a positive integer");
            shapes[item[..colon]] = parsed;
        }
        return shapes;
    }
}
