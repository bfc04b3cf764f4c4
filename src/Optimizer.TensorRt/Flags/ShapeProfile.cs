using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.TensorRt.Flags;

/// <summary>The shapes the user gave: <c>--shapes</c> (fixes min = opt = max) or any of min/opt/max.</summary>
public sealed record ShapeRequest(string? Shapes = null, string? Min = null, string? Opt = null, string? Max = null)
{
    public bool IsEmpty => Shapes is null && Min is null && Opt is null && Max is null;
}

/// <summary>The optimization profile of one input.</summary>
public sealed record InputShapes(string Name, long[] Min, long[] Opt, long[] Max);

/// <summary>
/// Resolves the optimization profile from the model's dims and the user's shapes, in the syntax trtexec uses
/// (<c>name:1x3x224x224,other:1x128</c>, the name ending at the last ':'), and checks it: unknown names, wrong ranks,
/// conflicts with fixed dims and min ≤ opt ≤ max are input errors. Unset dynamic dims become 1 (with a warning), as
/// trtexec would do, but explicitly so the flags record the shapes.
/// </summary>
public static class ShapeProfile
{
    public static IReadOnlyList<InputShapes> Resolve(ModelFacts model, ShapeRequest request, ICollection<string> warnings)
    {
        var fixedAll = Parse(request.Shapes, "--shapes");
        var min = Parse(request.Min, "--min-shapes");
        var opt = Parse(request.Opt, "--opt-shapes");
        var max = Parse(request.Max, "--max-shapes");
        var names = model.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (given, option) in new[] { (fixedAll, "--shapes"), (min, "--min-shapes"), (opt, "--opt-shapes"), (max, "--max-shapes") })
            if (given.Keys.FirstOrDefault(n => !names.Contains(n)) is { } unknown)
                throw new InvalidInputException($"{option} names an unknown input '{unknown}'; the model's inputs are {string.Join(", ", names)}");

        var result = new List<InputShapes>();
        foreach (var input in model.Inputs)
        {
            var defaults = input.Dims.Select(d => d.Value ?? 1).ToArray();
            var o = opt.GetValueOrDefault(input.Name) ?? fixedAll.GetValueOrDefault(input.Name) ?? min.GetValueOrDefault(input.Name) ?? max.GetValueOrDefault(input.Name);
            if (o is null && input.IsDynamic)
                warnings.Add($"input '{input.Name}' has dynamic dims ({string.Join("x", input.Dims)}) and no shapes were given: using {Format(defaults)} (give the shapes, e.g. {input.Name}:{Format(defaults)}, to choose).");
            o ??= defaults;
            var shapes = new InputShapes(input.Name,
                min.GetValueOrDefault(input.Name) ?? fixedAll.GetValueOrDefault(input.Name) ?? o, o,
                max.GetValueOrDefault(input.Name) ?? fixedAll.GetValueOrDefault(input.Name) ?? o);
            Check(input, shapes);
            result.Add(shapes);
        }
        return result;
    }

    /// <summary>The spec trtexec reads: names with ':' are quoted ('name':dims); ',' and quotes cannot be expressed.</summary>
    public static string ToSpec(IEnumerable<(string Name, long[] Dims)> entries) =>
        string.Join(",", entries.Select(e => $"{QuoteName(e.Name)}:{Format(e.Dims)}"));

    public static string Format(long[] dims) => dims.Length == 0 ? "scalar" : string.Join("x", dims);

    private static string QuoteName(string name)
    {
        if (name.Contains(',') || name.Contains('\''))
            throw new InvalidInputException($"input name '{name}' contains ',' or a quote, which trtexec's shape options cannot express; rename the input.");
        return name.Contains(':') ? $"'{name}'" : name;
    }

    private static Dictionary<string, long[]> Parse(string? spec, string option)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(spec)) return result;
        foreach (var entry in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0) throw new InvalidInputException($"{option}: '{entry}' is not NAME:DIMS (for example input:1x3x224x224).");
            var name = entry[..colon].Trim('\'');
            var dims = entry[(colon + 1)..];
            try
            {
                result[name] = dims == "scalar" ? [] : dims.Split('x').Select(d => long.Parse(d, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            }
            catch (FormatException)
            {
                throw new InvalidInputException($"{option}: '{dims}' in '{entry}' is not a list of sizes like 1x3x224x224.");
            }
        }
        return result;
    }

    private static void Check(InputFact input, InputShapes shapes)
    {
        foreach (var (what, dims) in new[] { ("min", shapes.Min), ("opt", shapes.Opt), ("max", shapes.Max) })
        {
            if (dims.Length != input.Dims.Count)
                throw new InvalidInputException($"{what} shape {Format(dims)} of input '{input.Name}' has rank {dims.Length}; the model says {input.Dims.Count} ({string.Join("x", input.Dims)}).");
            for (var i = 0; i < dims.Length; i++)
                if (input.Dims[i].Value is { } fixedDim && dims[i] != fixedDim)
                    throw new InvalidInputException($"{what} shape {Format(dims)} of input '{input.Name}' changes dim {i}, which the model fixes at {fixedDim}.");
        }
        for (var i = 0; i < shapes.Opt.Length; i++)
            if (!(shapes.Min[i] <= shapes.Opt[i] && shapes.Opt[i] <= shapes.Max[i]))
                throw new InvalidInputException($"shapes of input '{input.Name}' must satisfy min <= opt <= max in every dim (min {Format(shapes.Min)}, opt {Format(shapes.Opt)}, max {Format(shapes.Max)}).");
    }
}
