using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

public sealed class LayerErrorReportTests
{
    private static readonly LayerError[] Errors =
    [
        new("conv3_out", "/features/features.3/expand3x3/Conv", "Conv", 12.5, 0.97, 0.8, 1000),
        new("conv2_out", "/features/features.2/squeeze/Conv", "Conv", 27.25, 0.999, 0.1, 1000),
        new("relu_out", null, null, 41, 0.99999, 0.01, 1000),
        new("exact_out", "exact_node", "MaxPool", double.PositiveInfinity, 1, 0, 1000),
    ];

    [Fact]
    public void MarkdownListsTheLayersInTheOrderGivenWorstFirst()
    {
        var text = LayerErrorTable.Markdown(Errors);
        var lines = text.Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| ---")).ToArray();
        Assert.Equal(5, lines.Length); // header and 4 rows
        Assert.StartsWith("| 1 | /features/features.3/expand3x3/Conv | Conv | conv3_out | 12.5 | 0.97 |", lines[1]);
        Assert.StartsWith("| 3 |  |  | relu_out | 41 |", lines[3]);
        Assert.StartsWith("| 4 | exact_node | MaxPool | exact_out | inf | 1 | 0 | 1000 |", lines[4]);

        var cut = LayerErrorTable.Markdown(Errors, max: 2);
        Assert.DoesNotContain("relu_out", cut);
        Assert.Contains("and 2 more layers.", cut);
    }

    [Fact]
    public void ThePngIsWritten()
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("layers.png");
        LayerErrorPlot.SavePng(Errors, path);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5000, $"{bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);

        if (Environment.GetEnvironmentVariable("OPTIMIZER_KEEP_PLOTS") is { Length: > 0 } folder) File.Copy(path, Path.Combine(folder, "layers_small.png"), overwrite: true);

        LayerErrorPlot.SavePng([], dir.File("empty.png")); // nothing measured still makes a plot saying so
        Assert.True(new FileInfo(dir.File("empty.png")).Length > 0);
    }
}
