namespace Optimizer.Runtime.Data;

/// <summary>Image preprocessing fields given explicitly (flags or preprocess.yaml); null means "not given".</summary>
public sealed record PreprocessOverrides
{
    public int? Resize { get; init; }
    public int? Crop { get; init; }
    public double? Scale { get; init; }
    public double[]? Mean { get; init; }
    public double[]? Std { get; init; }
    public ColorOrder? Colors { get; init; }
    public ImageLayout? Layout { get; init; }
    /// <summary>Pad a side the model leaves open to a multiple of this many pixels.</summary>
    public int? Multiple { get; init; }

    /// <summary>This set's fields where given, else <paramref name="fallback"/>'s.</summary>
    public PreprocessOverrides Over(PreprocessOverrides fallback) => new()
    {
        Resize = Resize ?? fallback.Resize,
        Crop = Crop ?? fallback.Crop,
        Scale = Scale ?? fallback.Scale,
        Mean = Mean ?? fallback.Mean,
        Std = Std ?? fallback.Std,
        Colors = Colors ?? fallback.Colors,
        Layout = Layout ?? fallback.Layout,
        Multiple = Multiple ?? fallback.Multiple,
    };
}

public enum ColorOrder { Rgb, Bgr }

public enum ImageLayout { Nchw, Nhwc }
