using Optimizer.Onnx.IO;
using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>Saves a plot as a PNG atomically, at the size every report plot uses.</summary>
public static class PlotFile
{
    public const int Width = 900;
    public const int Height = 560;

    public static void SavePng(Plot plot, string path)
    {
        var bytes = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
