using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The complete image preprocessing: resize the short side to <see cref="Resize"/>, centre-crop
/// <see cref="Crop"/>x<see cref="Crop"/>, multiply by <see cref="Scale"/>, subtract <see cref="Mean"/> and divide by
/// <see cref="Std"/> per channel, in <see cref="Colors"/> order and <see cref="Layout"/>.
/// </summary>
public sealed record Preprocessing(int Resize, int Crop, double Scale, double[] Mean, double[] Std, ColorOrder Colors, ImageLayout Layout)
{
    public static readonly double[] ImageNetMean = [0.485, 0.456, 0.406];
    public static readonly double[] ImageNetStd = [0.229, 0.224, 0.225];

    /// <summary>
    /// Fills what <paramref name="given"/> leaves open from the model's image input: layout from where its channel
    /// axis (3) is, crop from its fixed spatial size (else 224), resize to crop*256/224, scale 1/255, ImageNet mean/std, RGB.
    /// </summary>
    public static Preprocessing Resolve(PreprocessOverrides given, TensorSpec input)
    {
        if (input.Dims.Length != 4)
            throw new InvalidInputException($"images need a 4-D image input, but input '{input.Name}' is {input.Describe()}");
        var layout = given.Layout ?? (input.Dims[3] == 3 && input.Dims[1] != 3 ? ImageLayout.Nhwc : ImageLayout.Nchw);
        var spatial = layout == ImageLayout.Nchw ? input.Dims[2] : input.Dims[1];
        var crop = given.Crop ?? (spatial > 0 ? (int)spatial : 224);
        var resize = given.Resize ?? (int)Math.Round(crop * 256.0 / 224.0);
        var result = new Preprocessing(resize, crop, given.Scale ?? 1.0 / 255.0, given.Mean ?? ImageNetMean, given.Std ?? ImageNetStd,
            given.Colors ?? ColorOrder.Rgb, layout);
        if (result.Mean.Length != 3 || result.Std.Length != 3 || result.Std.Any(s => s == 0))
            throw new InvalidInputException("image preprocessing: mean and std need 3 values each, std non-zero");
        if (result.Crop <= 0 || result.Resize < result.Crop)
            throw new InvalidInputException($"image preprocessing: crop {result.Crop} must be positive and not larger than resize {result.Resize}");
        return result;
    }
}
