using Optimizer.Onnx.IO;
using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>Saves a plot as a PNG atomically, at the size every report plot uses.</summary>
public static class PlotFile
{
    public const int Width = 900;
    public const int Height = 560;

    public static void SavePng(Plot plot, string path) => SavePng(plot, path, Width, Height);

    /// <summary>Saves at another size, for a plot whose content needs it (one row per layer, say).</summary>
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Two plots side by side in one PNG, each at the usual size.</summary>
    public static void SavePngSideBySide(Plot left, Plot right, string path)
    {
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(Width * 2, Height));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        foreach (var (plot, x) in new[] { (left, 0), (right, Width) })
        {
            using var image = SkiaSharp.SKImage.FromEncodedData(plot.GetImageBytes(Width, Height, ImageFormat.Png));
            surface.Canvas.DrawImage(image, x, 0);
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, png.ToArray());
    }
}
