using System.Globalization;
using Optimizer.Runtime.Plots;
using ScottPlot;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// A horizontal bar per layer: its SQNR against the FP32 model in dB, worst at the top, labelled with the node's name
/// and the value. Infinite SQNR (the layer is exact) draws as a bar past the largest finite one, labelled "exact".
/// </summary>
public static class LayerErrorPlot
{
    public const string Title = "Per-layer SQNR vs FP32 (dB, worst first)";
    private const int RowHeight = 18;
    private const int MaxLabelLength = 42;

    // Rough guides for INT8 activations: below 20 dB a layer usually costs accuracy, above 30 dB rarely.
    private const double Poor = 20, Fair = 30;
    private static readonly Color PoorColor = Color.FromHex("#d62728");
    private static readonly Color FairColor = Color.FromHex("#ff9f1c");
    private static readonly Color GoodColor = Color.FromHex("#4c78a8");

    /// <summary>Saves the plot of the first <paramref name="maxBars"/> of <paramref name="errors"/> (which come worst first).</summary>
    public static void SavePng(IReadOnlyList<LayerError> errors, string path, int maxBars = 40)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBars, 1);
        if (PlotFonts.EnsureRegistered() is { } warning) Console.Error.WriteLine(warning);
        var shown = errors.Take(maxBars).ToList();
        var plot = Build(shown, errors.Count);
        PlotFile.SavePng(plot, path, PlotFile.Width, Math.Max(PlotFile.Height, 140 + RowHeight * shown.Count));
    }

    private static Plot Build(IReadOnlyList<LayerError> shown, int total)
    {
        var plot = new Plot();
        plot.Title(Title);
        plot.XLabel(total > shown.Count ? $"SQNR (dB), the {shown.Count} worst of {total} layers" : "SQNR (dB)");
        if (shown.Count == 0)
        {
            plot.Add.Annotation("no layers measured");
            return plot;
        }

        var finite = shown.Select(e => e.SqnrDb).Where(double.IsFinite).ToList();
        var high = finite.Count > 0 ? Math.Max(0, finite.Max()) : 0;
        var low = finite.Count > 0 ? Math.Min(0, finite.Min()) : 0;
        var span = Math.Max(high - low, 10);
        var bars = shown.Select((e, i) => new Bar
        {
            Position = shown.Count - 1 - i, // the worst at the top
            Value = BarLength(e.SqnrDb, low, high, span),
            FillColor = ColorOf(e.SqnrDb),
            LineWidth = 0,
            Label = ValueText(e.SqnrDb),
            CenterLabel = false,
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = 11;

        var positions = bars.Select(b => b.Position).ToArray();
        var labels = shown.Select(e => Shorten(e.Label)).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.Left.TickLabelStyle.FontSize = 11;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(-0.7, shown.Count - 0.3);
        // room on the right for the value labels, and on the left for bars below 0 dB
        plot.Axes.SetLimitsX(low < 0 ? low - 0.15 * span : 0, high + 0.25 * span);
        plot.Add.VerticalLine(0, 1, Colors.Black);

        plot.Legend.ManualItems.AddRange(
        [
            new LegendItem { LabelText = $"< {Poor:0} dB", FillColor = PoorColor },
            new LegendItem { LabelText = $"{Poor:0}-{Fair:0} dB", FillColor = FairColor },
            new LegendItem { LabelText = $">= {Fair:0} dB", FillColor = GoodColor },
        ]);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom); // outside the data area: it never hides a bar or its value
        return plot;
    }

    /// <summary>How long a bar is: the SQNR when finite; exact layers just past the best finite one, NaN and −∞ just past the worst.</summary>
    private static double BarLength(double sqnr, double low, double high, double span) =>
        double.IsPositiveInfinity(sqnr) ? high + 0.08 * span
        : double.IsFinite(sqnr) ? sqnr
        : low - 0.08 * span;

    private static Color ColorOf(double sqnr) => double.IsNaN(sqnr) || sqnr < Poor ? PoorColor : sqnr < Fair ? FairColor : GoodColor;

    private static string ValueText(double sqnr) =>
        double.IsPositiveInfinity(sqnr) ? "exact"
        : double.IsNegativeInfinity(sqnr) ? "-inf"
        : double.IsNaN(sqnr) ? "NaN"
        : sqnr.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Long node names keep their end, which tells the layers apart (/features/features.12/expand3x3/Conv).</summary>
    private static string Shorten(string label) => label.Length <= MaxLabelLength ? label : "…" + label[^(MaxLabelLength - 1)..];
}
