using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The complete image preprocessing: scale the image so that it covers <see cref="Height"/>x<see cref="Width"/> with
/// the margin <see cref="Resize"/> gives (for a square crop, the short side becomes <see cref="Resize"/>), centre-crop
/// <see cref="Height"/>x<see cref="Width"/>, multiply by <see cref="Scale"/>, subtract <see cref="Mean"/> and divide
/// by <see cref="Std"/> per channel, in <see cref="Colors"/> order and <see cref="Layout"/>; with one
/// <see cref="Channels"/>, the gray level (ITU-R BT.601 luma) instead of the colours. A side the model leaves open
/// (null) follows each image: see <see cref="ImagePlacement"/>.
/// </summary>
public sealed record Preprocessing(int Resize, int Crop, double Scale, double[] Mean, double[] Std, ColorOrder Colors, ImageLayout Layout)
{
    public static readonly double[] ImageNetMean = [0.485, 0.456, 0.406];
    public static readonly double[] ImageNetStd = [0.229, 0.224, 0.225];

    /// <summary>The default mean and std of a one-channel (gray) input: [-1, 1], as gray OCR and captcha models are trained.</summary>
    public static readonly double[] GrayMean = [0.5];
    public static readonly double[] GrayStd = [0.5];

    /// <summary>Rows of the crop (<see cref="Crop"/> unless the model's input is not square); null: each image's own.</summary>
    public int? Height { get; init; } = Crop;

    /// <summary>Columns of the crop; null: each image's own.</summary>
    public int? Width { get; init; } = Crop;

    /// <summary>3 (colour), 1 (gray) or 4 (colour and alpha, as decoded).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>An open side is padded (at its end, with 0 after normalization, as PaddleOCR pads) to a multiple of this.</summary>
    public int Multiple { get; init; } = 1;

    /// <summary>An image that already has <see cref="Height"/>x<see cref="Width"/> is taken as it is (no resize, no crop):
    /// true unless resize or crop were given.</summary>
    public bool TakesFittingImagesAsIs { get; init; }

    /// <summary>The model's input (with --shapes) leaves its height or width open: the size above came from elsewhere.</summary>
    public bool SizeOpenInModel { get; init; }

    /// <summary>
    /// Fills what <paramref name="given"/> leaves open from the model's image input: layout from where its channel
    /// axis (1, 3 or 4 channels) is, the crop from its fixed height and width (or <paramref name="shapes"/>, the
    /// <c>--shapes</c> of dynamic dims), resize to crop*256/224, scale 1/255, ImageNet mean/std in RGB (gray: mean 0.5,
    /// std 0.5; alpha: 0 and 1). A given crop is square. A side neither gives stays open (null): it follows each image.
    /// </summary>
    public static Preprocessing Resolve(PreprocessOverrides given, TensorSpec input, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        if (input.Dims.Length != 4)
            throw new InvalidInputException($"images need a 4-D image input, but input '{input.Name}' is {input.Describe()}");
        var dims = shapes is not null && shapes.TryGetValue(input.Name, out var fixedDims) && fixedDims.Length == 4
            ? input.Dims.Zip(fixedDims, (d, f) => d > 0 ? d : f).ToArray()
            : input.Dims;
        var layout = given.Layout ?? (dims[3] is 1 or 3 or 4 && dims[1] is not (1 or 3 or 4) ? ImageLayout.Nhwc : ImageLayout.Nchw);
        var (channelAxis, rowAxis) = layout == ImageLayout.Nchw ? (1, 2) : (3, 1);
        var channels = dims[channelAxis] switch
        {
            1 => 1,
            3 or <= 0 => 3,
            4 => 4,
            // a layout given against the model's own: colour, and the model refuses the samples' shape when it runs them
            _ when given.Layout is not null => 3,
            var c => throw new InvalidInputException($"images give 1 (gray), 3 (colour) or 4 (colour and alpha) channels, but input '{input.Name}' {input.Describe()} takes {c} on its channel axis: give its data as .npy files"),
        };
        var (rows, columns) = (dims[rowAxis] > 0 ? (int?)dims[rowAxis] : null, dims[rowAxis + 1] > 0 ? (int?)dims[rowAxis + 1] : null);
        var (height, width) = given.Crop is { } square ? (square, square) : (rows, columns);
        var known = new[] { height, width }.Where(s => s is not null).Select(s => s!.Value).ToList();
        var shortSide = known.Count == 0 ? 0 : known.Min();
        // Both sides fixed: torchvision's margin. One side: that side exactly (the other follows it). None: the image's own size.
        var resize = given.Resize ?? (known.Count == 2 ? (int)Math.Round(shortSide * 256.0 / 224.0) : shortSide);
        var (mean, std) = MeanAndStd(given, channels, input.Name);
        if (known.Any(s => s <= 0) || resize < shortSide || given.Resize <= 0)
            throw new InvalidInputException($"image preprocessing: crop {height?.ToString() ?? "open"}x{width?.ToString() ?? "open"} must be positive and its short side not larger than resize {resize} "
                + $"(input '{input.Name}' {input.Describe()}): set resize and crop in {PreprocessFile.FileName} (or --resize/--crop), or the input's size with --shapes");
        if (given.Multiple is <= 0)
            throw new InvalidInputException($"image preprocessing: multiple {given.Multiple} must be a positive number of pixels");
        return new Preprocessing(resize, shortSide, given.Scale ?? 1.0 / 255.0, mean, std, given.Colors ?? ColorOrder.Rgb, layout)
        {
            Height = height,
            Width = width,
            Channels = channels,
            Multiple = given.Multiple ?? 1,
            TakesFittingImagesAsIs = given.Resize is null && given.Crop is null,
            SizeOpenInModel = rows is null || columns is null,
        };
    }

    /// <summary>The size images are read at, for notes: "48x320", "height 48, width from each image's aspect ratio".</summary>
    public string DescribeSize()
    {
        var multiple = Multiple > 1 ? $", padded to a multiple of {Multiple}" : "";
        return (Height, Width) switch
        {
            ({ } h, { } w) => $"{h}x{w}",
            ({ } h, null) => $"height {h}{Scaled(h)}, width from each image's aspect ratio{multiple}",
            (null, { } w) => $"width {w}{Scaled(w)}, height from each image's aspect ratio{multiple}",
            _ => (Resize > 0 ? $"short side {Resize}, aspect ratio kept" : "each image's own size") + multiple,
        };
    }

    private string Scaled(int side) => Resize == side ? "" : $" (scaled to {Resize}, then centre-cropped)";

    private static (double[] Mean, double[] Std) MeanAndStd(PreprocessOverrides given, int channels, string input)
    {
        var mean = given.Mean ?? channels switch { 1 => GrayMean, 4 => [.. ImageNetMean, 0.0], _ => ImageNetMean };
        var std = given.Std ?? channels switch { 1 => GrayStd, 4 => [.. ImageNetStd, 1.0], _ => ImageNetStd };
        if (mean.Length == 1 && channels > 1) mean = Enumerable.Repeat(mean[0], channels).ToArray();
        if (std.Length == 1 && channels > 1) std = Enumerable.Repeat(std[0], channels).ToArray();
        // Colour values for a colour-and-alpha input: the alpha channel is only scaled, as decoded.
        if (channels == 4 && mean.Length == 3) mean = [.. mean, 0.0];
        if (channels == 4 && std.Length == 3) std = [.. std, 1.0];
        if (mean.Length != channels || std.Length != channels || std.Any(s => s == 0))
            throw new InvalidInputException(channels switch
            {
                1 => $"image preprocessing: input '{input}' takes gray images: give one mean and one std value, std non-zero",
                4 => $"image preprocessing: input '{input}' takes 4 channels (colour and alpha): mean and std need 4 values each (3: the alpha channel is only scaled; or one for all channels), std non-zero",
                _ => "image preprocessing: mean and std need 3 values each (or one for all channels), std non-zero",
            });
        return (mean, std);
    }
}
