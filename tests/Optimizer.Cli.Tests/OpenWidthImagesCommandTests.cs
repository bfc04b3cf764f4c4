using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using SkiaSharp;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A text-line recognizer's input [N,3,48,W] fed images of different widths, end to end: static INT8 calibrates on
/// them, the min/max-against-percentile comparison runs them, --validate checks them, each at its own width, and the
/// size they are read at is noted once.
/// </summary>
public sealed class OpenWidthImagesCommandTests
{
    /// <summary>x [N,3,48,W] → Conv 3x3 → Relu → mean over the rows → [N,W,4] → Softmax: scores per column, as a recognizer's.</summary>
    private static string Recognizer(string path)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 3, 48, "W");
        var y = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w", 0.3f, 4, 3, 3, 3), b.RandomInitializer("b", 0.1f, 4)], ("pads", new long[] { 1, 1, 1, 1 }))]);
        var columns = b.Op("Transpose", [b.Op("ReduceMean", [y], ("axes", new long[] { 2 }), ("keepdims", 0L))], ("perm", new long[] { 0, 2, 1 }));
        var scores = b.Op("Softmax", [columns], ("axis", 2));
        scores.Name = "scores";
        b.Output(scores);
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    /// <summary>Text-line-like PNGs 24 rows high and 30 to 130 columns wide: stripes whose period differs per line.</summary>
    private static string Lines(string folder)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < 6; i++)
        {
            var width = 30 + 20 * i;
            using var bitmap = new SKBitmap(width, 24);
            for (var y = 0; y < 24; y++)
                for (var x = 0; x < width; x++)
                    bitmap.SetPixel(x, y, (x / (2 + i)) % 2 == 0 && y is > 4 and < 20 ? SKColors.Black : new SKColor(250, 245, 235));
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(folder, $"line_{i:0000}.png"), png.ToArray());
        }
        return folder;
    }

    [Fact]
    public void Static_int8_calibrates_compares_and_validates_on_lines_of_different_widths()
    {
        using var dir = TestPaths.NewTempDir();
        var model = Recognizer(dir.File("rec.onnx"));
        var lines = Lines(dir.File("lines"));
        var result = CliRunner.Run(model, "-o", dir.File("out"), "--quantize", "int8", "--calibrate", lines, "--validate", lines);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var notes = result.Stderr.Split('\n').Where(l => l.Contains("leaves the image size open")).ToList();
        Assert.Single(notes);
        Assert.Contains("height 48, width from each image's aspect ratio", notes[0]);
        Assert.True(File.Exists(dir.File("out/model.onnx")));
        // the lines went through at their own widths: 60..260 columns (24 rows doubled to 48)
        var outputs = OrtRunner.RunFile(dir.File("out/model.onnx"), new Dictionary<string, TestTensor>
        {
            ["x"] = OrtRunner.Random(ElementType.Float, [1, 3, 48, 260], new Random(1)),
        });
        Assert.Equal([1, 260, 4], outputs["scores"].Dims);
    }
}
