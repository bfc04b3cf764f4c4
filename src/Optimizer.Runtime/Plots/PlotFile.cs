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
}
