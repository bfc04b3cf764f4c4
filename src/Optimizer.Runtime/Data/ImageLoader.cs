using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using SkiaSharp;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Decodes an image (png, jpg, webp) and turns it into a float32 [1,C,H,W] (or NHWC) tensor, C 3 or 1 (gray): resize
/// as torchvision does (for a square crop the short side, the long side truncated), centre-crop, scale, normalize.
/// </summary>
public static class ImageLoader
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp"];

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static HostTensor Load(string path, Preprocessing p)
    {
        using var decoded = Decode(path);
        var (w, h) = (decoded.Width, decoded.Height);
        var (rw, rh) = ResizedSize(w, h, p);
        using var resized = decoded.Resize(new SKImageInfo(rw, rh, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new InvalidInputException($"{path}: cannot resize the image to {rw}x{rh}");
        var (ch, cw) = (p.Height, p.Width);
        var top = (int)Math.Round((rh - ch) / 2.0);
        var left = (int)Math.Round((rw - cw) / 2.0);
        var pixels = resized.GetPixelSpan();
        var rowBytes = resized.RowBytes;

        var channels = p.Channels;
        long[] shape = p.Layout == ImageLayout.Nchw ? [1, channels, ch, cw] : [1, ch, cw, channels];
        var tensor = HostTensor.Allocate(TensorElementType.Float, shape);
        var values = tensor.AsSpan<float>();
        for (var y = 0; y < ch; y++)
        {
            for (var x = 0; x < cw; x++)
            {
                var o = (top + y) * rowBytes + (left + x) * 4;
                for (var c = 0; c < channels; c++)
                {
                    var level = channels == 1
                        ? 0.299 * pixels[o] + 0.587 * pixels[o + 1] + 0.114 * pixels[o + 2]
                        : pixels[o + (p.Colors == ColorOrder.Rgb ? c : 2 - c)];
                    var v = (level * p.Scale - p.Mean[c]) / p.Std[c];
                    var index = p.Layout == ImageLayout.Nchw ? (c * ch + y) * cw + x : (y * cw + x) * channels + c;
                    values[index] = (float)v;
                }
            }
        }
        return tensor;
    }

    /// <summary>
    /// The size the image is resized to before the centre crop: the side whose crop needs the larger scale becomes the
    /// crop's side times resize/short side of the crop (for a square crop: the short side becomes resize, as
    /// torchvision does), the other follows the aspect ratio (truncated), never below the crop.
    /// </summary>
    internal static (int Width, int Height) ResizedSize(int w, int h, Preprocessing p)
    {
        var ratio = (double)p.Resize / Math.Min(p.Height, p.Width);
        if ((long)p.Width * h >= (long)p.Height * w)
        {
            var rw = (int)Math.Round(p.Width * ratio);
            return (rw, Math.Max(p.Height, (int)((long)rw * h / w)));
        }
        var rh = (int)Math.Round(p.Height * ratio);
        return (Math.Max(p.Width, (int)((long)rh * w / h)), rh);
    }

    private static SKBitmap Decode(string path)
    {
        using var codec = SKCodec.Create(path, out var result);
        if (codec is null)
            throw new InvalidInputException($"{path}: not a readable image ({result})");
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
