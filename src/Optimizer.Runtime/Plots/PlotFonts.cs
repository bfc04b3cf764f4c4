namespace Optimizer.Runtime.Plots;

/// <summary>
/// ScottPlot draws text with a system font; on a machine without one it silently draws no text at all. This finds
/// DejaVu Sans (Debian: fonts-dejavu-core) or another sans font, registers its regular and bold faces, and makes it
/// the default. When none is found, <see cref="EnsureRegistered"/> returns a warning for the caller to print.
/// </summary>
public static class PlotFonts
{
    public const string Family = "Optimizer Sans";
    private static readonly object Gate = new();
    private static bool _done;
    private static string? _warning;

    private static readonly (string Regular, string Bold)[] Candidates =
    [
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
        ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
        ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ];

    /// <summary>Registers the font once per process; returns a warning when plots will have no text, else null.</summary>
    public static string? EnsureRegistered()
    {
        lock (Gate)
        {
            if (_done) return _warning;
            _done = true;
            var found = Candidates.FirstOrDefault(c => File.Exists(c.Regular));
            if (found.Regular is null)
            {
                _warning = "warning: no font found for plots (install fonts-dejavu-core); the PNG plots will have no text";
                return _warning;
            }
            ScottPlot.Fonts.AddFontFile(Family, found.Regular, bold: false, italic: false);
            ScottPlot.Fonts.AddFontFile(Family, File.Exists(found.Bold) ? found.Bold : found.Regular, bold: true, italic: false);
            ScottPlot.Fonts.Default = Family;
            return null;
        }
    }
}
