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
            throw new InvalidInputException($"{path}: {e.Message}", e);
        }
        return new PreprocessOverrides
        {
            Resize = dto.Resize,
            Crop = dto.Crop,
            Scale = dto.Scale,
            Mean = dto.Mean,
            Std = dto.Std,
            Colors = dto.Colors is null ? null : ParseEnum<ColorOrder>(dto.Colors, path, "colors"),
            Layout = dto.Layout is null ? null : ParseEnum<ImageLayout>(dto.Layout, path, "layout"),
            Multiple = dto.Multiple,
        };
    }

    public static T ParseEnum<T>(string text, string source, string field) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw new InvalidInputException($"{source}: {field} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    private sealed class Dto
    {
        public int? Resize { get; set; }
        public int? Crop { get; set; }
        public double? Scale { get; set; }
        public double[]? Mean { get; set; }
        public double[]? Std { get; set; }
        public string? Colors { get; set; }
        public string? Layout { get; set; }
        public int? Multiple { get; set; }
    }
}
