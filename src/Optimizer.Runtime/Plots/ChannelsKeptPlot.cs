using ScottPlot;

namespace Optimizer.Runtime.Plots;

/// <summary>
/// Structured pruning's PNG: one horizontal bar per layer, its output channels before (light) and kept (dark), in
/// graph order from the top, labelled with the layer's name and "kept/before".
/// </summary>
public static class ChannelsKeptPlot
{
    public const string Title = "Output channels kept per layer";
    private const int RowHeight = 16;
    private const int MaxLabelLength = 40;

    public static void SavePng(IReadOnlyList<(string Layer, long Before, long After)> layers, string path)
    {
        if (PlotFonts.EnsureRegistered() is { } warning) Console.Error.WriteLine(warning);
        var plot = new Plot();
        plot.Title(Title);
        plot.XLabel("channels");
        var n = layers.Count;
        var before = layers.Select((l, i) => new Bar { Position = n - 1 - i, Value = l.Before, FillColor = Color.FromHex("#c6dbef"), LineWidth = 0 }).ToList();
        var kept = layers.Select((l, i) => new Bar
        {
            Position = n - 1 - i,
            Value = l.After,
            FillColor = Color.FromHex("#2171b5"),
            LineWidth = 0,
            Label = $"{l.After}/{l.Before}",
            CenterLabel = false,
        }).ToList();
        var back = plot.Add.Bars(before);
        back.Horizontal = true;
        var front = plot.Add.Bars(kept);
        front.Horizontal = true;
        front.ValueLabelStyle.FontSize = 10;
        if (n > 0)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), layers.Select(l => Shorten(l.Layer)).ToArray());
            plot.Axes.Left.TickLabelStyle.FontSize = 10;
            plot.Axes.Left.MajorTickStyle.Length = 0;
            plot.Axes.SetLimitsY(-0.7, n - 0.3);
            plot.Axes.SetLimitsX(0, layers.Max(l => l.Before) * 1.2);
        }
        else plot.Add.Annotation("no layers");
        plot.Legend.ManualItems.AddRange(
        [
            new LegendItem { LabelText = "before", FillColor = Color.FromHex("#c6dbef") },
            new LegendItem { LabelText = "kept", FillColor = Color.FromHex("#2171b5") },
        ]);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom);
        PlotFile.SavePng(plot, path, PlotFile.Width, Math.Max(PlotFile.Height, 140 + RowHeight * n));
    }

    private static string Shorten(string label) => label.Length <= MaxLabelLength ? label : "…" + label[^(MaxLabelLength - 1)..];
}
