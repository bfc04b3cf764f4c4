using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using SkiaSharp;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Decodes an image (png, jpg, webp) and turns it into a float32 [1,C,H,W] (or NHWC) tensor, C 3, 1 (gray) or 4 (alpha
/// last, as decoded): placed as <see cref="ImagePlacement"/> says (torchvision's resize and centre crop for a fixed size),
/// scale, normalize.
/// </summary>
public static class ImageLoader
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp"];

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static HostTensor Load(string path, Preprocessing p)
    {
        using var decoded = Decode(path, out var mayHaveAlpha);
        if (p.Channels != 4 && mayHaveAlpha && Transparent(decoded))
            DataNotes.Write($"{Path.GetDirectoryName(Path.GetFullPath(path))}: images with transparent pixels ({Path.GetFileName(path)} the first) are read by the colour "
                            + "stored under them, alpha dropped, as OpenCV's imread reads them: text on a transparent background reads as on that colour, often black");
        var place = ImagePlacement.For(decoded.Width, decoded.Height, p);
        using var resized = place.ResizedWidth == decoded.Width && place.ResizedHeight == decoded.Height
            ? null
            : decoded.Resize(new SKImageInfo(place.ResizedWidth, place.ResizedHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
              ?? throw new InvalidInputException($"{path}: cannot resize the image to {place.ResizedWidth}x{place.ResizedHeight}");
        var source = resized ?? decoded;
        var (ch, cw) = (place.Height, place.Width);
        var pixels = source.GetPixelSpan();
        var rowBytes = source.RowBytes;

        var channels = p.Channels;
        long[] shape = p.Layout == ImageLayout.Nchw ? [1, channels, ch, cw] : [1, ch, cw, channels];
        var tensor = HostTensor.Allocate(TensorElementType.Float, shape);
        var values = tensor.AsSpan<float>();
        // Past the resized image's right or bottom edge: padding, left at 0 (the normalized mean).
        var rows = Math.Min(ch, place.ResizedHeight - place.Top);
        var columns = Math.Min(cw, place.ResizedWidth - place.Left);
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var o = (place.Top + y) * rowBytes + (place.Left + x) * 4;
                for (var c = 0; c < channels; c++)
                {
                    var level = channels == 1
                        ? 0.299 * pixels[o] + 0.587 * pixels[o + 1] + 0.114 * pixels[o + 2]
                        : pixels[o + (c == 3 || p.Colors == ColorOrder.Rgb ? c : 2 - c)];
                    var v = (level * p.Scale - p.Mean[c]) / p.Std[c];
                    var index = p.Layout == ImageLayout.Nchw ? (c * ch + y) * cw + x : (y * cw + x) * channels + c;
                    values[index] = (float)v;
                }
            }
        }
        return tensor;
    }

    /// <summary>Whether any pixel of <paramref name="bitmap"/> (RGBA) is not fully opaque.</summary>
    private static bool Transparent(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                if (pixels[y * bitmap.RowBytes + x * 4 + 3] != 255) return true;
        return false;
    }

    private static SKBitmap Decode(string path, out bool mayHaveAlpha)
    {
        using var codec = SKCodec.Create(path, out var result);
        if (codec is null)
            throw new InvalidInputException($"{path}: not a readable image ({result})");
        mayHaveAlpha = codec.Info.AlphaType != SKAlphaType.Opaque;
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var status = codec.GetPixels(info, bitmap.GetPixels());
        if (status is not (SKCodecResult.Success or SKCodecResult.IncompleteInput) || info.Width == 0 || info.Height == 0)
        {
            bitmap.Dispose();
            throw new InvalidInputException($"{path}: corrupt image ({status})");
        }
        if (status == SKCodecResult.IncompleteInput)
        {
            bitmap.Dispose();
            throw new InvalidInputException($"{path}: truncated image data");
        }
        return bitmap;
    }
}
