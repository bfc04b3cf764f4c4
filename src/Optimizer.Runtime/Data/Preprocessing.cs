using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The complete image preprocessing: scale the image so that it covers <see cref="Height"/>x<see cref="Width"/> with
/// the margin <see cref="Resize"/> gives (for a square crop, the short side becomes <see cref="Resize"/>), centre-crop
/// <see cref="Height"/>x<see cref="Width"/>, multiply by <see cref="Scale"/>, subtract <see cref="Mean"/> and divide
/// by <see cref="Std"/> per channel, in <see cref="Colors"/> order and <see cref="Layout"/>; with one
/// <see cref="Channels"/>, the gray level (ITU-R BT.601 luma) instead of the colours.
/// </summary>
public sealed record Preprocessing(int Resize, int Crop, double Scale, double[] Mean, double[] Std, ColorOrder Colors, ImageLayout Layout)
{
    public static readonly double[] ImageNetMean = [0.485, 0.456, 0.406];
    public static readonly double[] ImageNetStd = [0.229, 0.224, 0.225];

    /// <summary>The default mean and std of a one-channel (gray) input: [-1, 1], as gray OCR and captcha models are trained.</summary>
    public static readonly double[] GrayMean = [0.5];
    public static readonly double[] GrayStd = [0.5];

    /// <summary>Rows of the crop (<see cref="Crop"/> unless the model's input is not square).</summary>
    public int Height { get; init; } = Crop;

    /// <summary>Columns of the crop.</summary>
    public int Width { get; init; } = Crop;

    /// <summary>3 (colour) or 1 (gray).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>
    /// Fills what <paramref name="given"/> leaves open from the model's image input: layout from where its channel
    /// axis (1 or 3 channels) is, the crop from its fixed height and width (or <paramref name="shapes"/>, the
    /// <c>--shapes</c> of dynamic dims; an unknown side takes the other's size, else 224), resize to crop*256/224, scale
    /// 1/255, ImageNet mean/std in RGB (gray: mean 0.5, std 0.5). A given crop is square.
    /// </summary>
    public static Preprocessing Resolve(PreprocessOverrides given, TensorSpec input, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        if (input.Dims.Length != 4)
            throw new InvalidInputException($"images need a 4-D image input, but input '{input.Name}' is {input.Describe()}");
        var dims = shapes is not null && shapes.TryGetValue(input.Name, out var fixedDims) && fixedDims.Length == 4
            ? input.Dims.Zip(fixedDims, (d, f) => d > 0 ? d : f).ToArray()
            : input.Dims;
        var layout = given.Layout ?? (dims[3] is 1 or 3 && dims[1] is not (1 or 3) ? ImageLayout.Nhwc : ImageLayout.Nchw);
        var (channelAxis, rowAxis) = layout == ImageLayout.Nchw ? (1, 2) : (3, 1);
        var channels = dims[channelAxis] switch
        {
            1 => 1,
            3 or <= 0 => 3,
            // a layout given against the model's own: colour, and the model refuses the samples' shape when it runs them
            _ when given.Layout is not null => 3,
            var c => throw new InvalidInputException($"images give 1 (gray) or 3 (colour) channels, but input '{input.Name}' {input.Describe()} takes {c} on its channel axis"),
        };
        var (rows, columns) = (dims[rowAxis] > 0 ? (int?)dims[rowAxis] : null, dims[rowAxis + 1] > 0 ? (int?)dims[rowAxis + 1] : null);
        var (height, width) = given.Crop is { } square ? (square, square) : (rows ?? columns ?? 224, columns ?? rows ?? 224);
        var shortSide = Math.Min(height, width);
        var resize = given.Resize ?? (int)Math.Round(shortSide * 256.0 / 224.0);
        var mean = given.Mean ?? (channels == 1 ? GrayMean : ImageNetMean);
        var std = given.Std ?? (channels == 1 ? GrayStd : ImageNetStd);
        if (mean.Length == 1 && channels == 3) mean = [mean[0], mean[0], mean[0]];
        if (std.Length == 1 && channels == 3) std = [std[0], std[0], std[0]];
        if (mean.Length != channels || std.Length != channels || std.Any(s => s == 0))
            throw new InvalidInputException(channels == 1
                ? $"image preprocessing: input '{input.Name}' takes gray images: give one mean and one std value, std non-zero"
                : "image preprocessing: mean and std need 3 values each (or one for all channels), std non-zero");
        var result = new Preprocessing(resize, shortSide, given.Scale ?? 1.0 / 255.0, mean, std, given.Colors ?? ColorOrder.Rgb, layout)
        {
            Height = height,
            Width = width,
            Channels = channels,
        };
        if (height <= 0 || width <= 0 || resize < shortSide)
            throw new InvalidInputException($"image preprocessing: crop {height}x{width} must be positive and its short side not larger than resize {resize}");
        return result;
    }
}
