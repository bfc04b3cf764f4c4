using Optimizer.Onnx.Errors;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Reads <c>preprocess.yaml</c> from an image folder:
/// <code>
/// resize: 256          # short side, pixels
/// crop: 224            # centre crop, pixels
/// scale: 0.00392157    # applied before mean/std (1/255)
/// mean: [0.485, 0.456, 0.406]
/// std: [0.229, 0.224, 0.225]
/// colors: rgb          # or bgr
/// layout: nchw         # or nhwc
/// multiple: 32         # a side the model leaves open is padded to a multiple of 32 (default 1)
/// </code>
/// </summary>
public static class PreprocessFile
{
    public const string FileName = "preprocess.yaml";

    public static PreprocessOverrides ReadIfPresent(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new PreprocessOverrides();
        Dto dto;
        try
        {
            var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
            dto = deserializer.Deserialize<Dto?>(File.ReadAllText(path)) ?? new Dto();
        }
        catch (YamlException e)
        {
            // "Exception during deserialization" alone names neither the line nor the key: the inner message and the place do
            var message = e.InnerException is { } inner && e.Message.StartsWith("Exception during deserialization", StringComparison.Ordinal) ? inner.Message : e.Message;
            throw new InvalidInputException($"{path}: line {e.Start.Line}: {message}", e);
        }
        return new PreprocessOverrides
        {
            Resize = dto.Resize,
            Crop = dto.Crop,
            Scale = dto.Scale,
            Mean = Numbers(dto.Mean, path, "mean"),
            Std = Numbers(dto.Std, path, "std"),
            Colors = dto.Colors is null ? null : ParseEnum<ColorOrder>(dto.Colors, path, "colors"),
            Layout = dto.Layout is null ? null : ParseEnum<ImageLayout>(dto.Layout, path, "layout"),
            Multiple = dto.Multiple,
        };
    }

    public static T ParseEnum<T>(string text, string source, string field) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw new InvalidInputException($"{source}: {field} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    /// <summary>One number or a list of them (<c>mean: 0.5</c> or <c>mean: [0.485, 0.456, 0.406]</c>, as the flags take either).</summary>
    private static double[]? Numbers(object? value, string path, string field)
    {
        static bool Number(object? item, out double x) =>
            double.TryParse(item?.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out x);
        return value switch
        {
            null => null,
            IEnumerable<object> items => items.Select(i => Number(i, out var x) ? x
                : throw new InvalidInputException($"{path}: {field}: '{i}' is not a number")).ToArray(),
            _ when Number(value, out var one) => [one],
            _ => throw new InvalidInputException($"{path}: {field}: '{value}' is not a number or a list of numbers"),
        };
    }

    private sealed class Dto
    {
        public int? Resize { get; set; }
        public int? Crop { get; set; }
        public double? Scale { get; set; }
        public object? Mean { get; set; }
        public object? Std { get; set; }
        public string? Colors { get; set; }
        public string? Layout { get; set; }
        public int? Multiple { get; set; }
    }
}
