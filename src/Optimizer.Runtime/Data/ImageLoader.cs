using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using SkiaSharp;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Decodes an image (png, jpg, webp) and turns it into a float32 [1,3,crop,crop] (or NHWC) tensor: resize the short
/// side as torchvision does (the long side truncated), centre-crop, scale, normalize.
/// </summary>
public static class ImageLoader
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp"];

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static HostTensor Load(string path, Preprocessing p)
    {
        using var decoded = Decode(path);
        var (w, h) = (decoded.Width, decoded.Height);
        var (rw, rh) = w <= h ? (p.Resize, (int)((long)p.Resize * h / w)) : ((int)((long)p.Resize * w / h), p.Resize);
        using var resized = decoded.Resize(new SKImageInfo(rw, rh, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new InvalidInputException($"{path}: cannot resize the image to {rw}x{rh}");
        var top = (int)Math.Round((rh - p.Crop) / 2.0);
        var left = (int)Math.Round((rw - p.Crop) / 2.0);
        var pixels = resized.GetPixelSpan();
        var rowBytes = resized.RowBytes;

        var c = p.Crop;
        long[] shape = p.Layout == ImageLayout.Nchw ? [1, 3, c, c] : [1, c, c, 3];
        var tensor = HostTensor.Allocate(TensorElementType.Float, shape);
        var values = tensor.AsSpan<float>();
        for (var y = 0; y < c; y++)
        {
            for (var x = 0; x < c; x++)
            {
                var o = (top + y) * rowBytes + (left + x) * 4;
                for (var ch = 0; ch < 3; ch++)
                {
                    var source = p.Colors == ColorOrder.Rgb ? ch : 2 - ch;
                    var v = (pixels[o + source] * p.Scale - p.Mean[ch]) / p.Std[ch];
                    var index = p.Layout == ImageLayout.Nchw ? (ch * c + y) * c + x : (y * c + x) * 3 + ch;
                    values[index] = (float)v;
                }
            }
        }
        return tensor;
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
