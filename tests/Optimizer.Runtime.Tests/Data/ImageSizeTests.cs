using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using SkiaSharp;

namespace Optimizer.Runtime.Tests.Data;

/// <summary>
/// The size images are read at: a side the model leaves open follows each image (a text-line recognizer's
/// [N,3,48,W]), an image already at the input's size is taken as it is, and a 4-channel input takes RGBA images.
/// </summary>
public sealed class ImageSizeTests
{
    private static TensorSpec Spec(long[] dims, string[]? symbolic = null) =>
        new("x", TensorElementType.Float, dims, symbolic ?? dims.Select(_ => "").ToArray(), true);

    /// <summary>A PNG written by SkiaSharp, each pixel from <paramref name="colour"/>(x, y).</summary>
    private static string WritePng(string path, int width, int height, Func<int, int, SKColor> colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
        return path;
    }

    /// <summary>Text-line-like: white, with black bars on the first and last 4 columns.</summary>
    private static SKColor Line(int x, int width) => x < 4 || x >= width - 4 ? SKColors.Black : SKColors.White;

    [Fact]
    public void AnOpenWidthFollowsEachImagesAspectRatioAndTheLinesRunThroughOnnxRuntime()
    {
        using var dir = TestPaths.NewTempDir();
        WritePng(dir.File("a.png"), 100, 24, (x, _) => Line(x, 100));
        WritePng(dir.File("b.png"), 40, 48, (x, _) => Line(x, 40));
        // a recognizer's input: batch and width open, as PP-OCR's [N,3,48,W]
        var input = Spec([-1, 3, 48, -1], ["N", "", "", "W"]);
        var signature = new ModelSignature([input], []);
        var data = DataSet.Open(new DataOptions { Folder = dir.Path }, signature);
        var p = data.Preprocessing!;
        Assert.Equal((48, (int?)null, true), (p.Height, p.Width, p.SizeOpenInModel));
        var samples = data.Read().ToList();
        // 100x24 doubled to 200x48 (not 48x48, as the other side's size gave before); 40x48 as it is
        Assert.Equal([1, 3, 48, 200], samples[0].Inputs["x"].Shape);
        Assert.Equal([1, 3, 48, 40], samples[1].Inputs["x"].Shape);
        // the bars at both ends survive: nothing is cropped
        var b = samples[1].Inputs["x"].AsSpan<float>();
        var black = (float)((0 - 0.485) / 0.229);
        Assert.Equal(black, b[0], 4);
        Assert.Equal(black, b[39], 4);
        Assert.NotEqual(black, b[20], 1);

        // y = Conv(x, 3x3, pad 1): ONNX Runtime takes each width and gives back one of the same width
        var g = new GraphBuilder();
        var x = g.Input("x", ElementType.Float, "N", 3, 48, "W");
        var w = g.RandomInitializer("w", 0.1f, 1, 3, 3, 3);
        g.Output(g.Op("Conv", [x, w], ("pads", new long[] { 1, 1, 1, 1 })));
        foreach (var sample in samples)
        {
            var tensor = sample.Inputs["x"];
            var output = OrtRunner.Run(g.Build(), new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float, tensor.Shape, tensor.AsSpan<float>().ToArray()) }).Values.Single();
            Assert.Equal([1, 1, 48, tensor.Shape[3]], output.Dims);
        }
    }

    [Fact]
    public void AnOpenSideIsPaddedWithTheNormalizedMeanToTheMultipleAndBatchesPadToTheWidest()
    {
        using var dir = TestPaths.NewTempDir();
        var path = WritePng(dir.File("a.png"), 100, 24, (x, _) => Line(x, 100));
        var p = Preprocessing.Resolve(new PreprocessOverrides { Multiple = 32 }, Spec([1, 3, 48, -1]));
        var a = ImageLoader.Load(path, p);
        Assert.Equal([1, 3, 48, 224], a.Shape);
        var values = a.AsSpan<float>();
        Assert.Equal((float)((0 - 0.485) / 0.229), values[199], 4); // the image's last column: its bar
        Assert.Equal(0f, values[200]); // padding
        Assert.Equal(0f, values[223]);

        var narrow = ImageLoader.Load(WritePng(dir.File("b.png"), 40, 48, (x, _) => Line(x, 40)), p with { Multiple = 1 });
        var batch = BatchInputs.Stack([narrow, a]);
        Assert.Equal([2, 3, 48, 224], batch.Shape);
        var stacked = batch.AsSpan<float>();
        Assert.Equal(narrow.AsSpan<float>()[39], stacked[39]);
        Assert.Equal(0f, stacked[40]);
        Assert.Equal(values[0], stacked[3 * 48 * 224]);
        Assert.Throws<InvalidInputException>(() => BatchInputs.Stack([narrow, HostTensor.Allocate(TensorElementType.Float, [1, 3, 48])]));
    }

    [Fact]
    public void WithBothSidesOpenTheShortSideTakesTheGivenResizeElseTheImageKeepsItsSize()
    {
        using var dir = TestPaths.NewTempDir();
        var path = WritePng(dir.File("page.png"), 60, 40, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 6), 128));
        var detector = Spec([-1, 3, -1, -1]);
        Assert.Equal([1, 3, 40, 60], ImageLoader.Load(path, Preprocessing.Resolve(new PreprocessOverrides(), detector)).Shape);
        var resized = Preprocessing.Resolve(new PreprocessOverrides { Resize = 80, Multiple = 32 }, detector);
        Assert.Equal("short side 80, aspect ratio kept, padded to a multiple of 32", resized.DescribeSize());
        Assert.Equal([1, 3, 96, 128], ImageLoader.Load(path, resized).Shape); // 80x120, padded
        // a crop fixes both sides, as before
        Assert.Equal([1, 3, 32, 32], ImageLoader.Load(path, Preprocessing.Resolve(new PreprocessOverrides { Crop = 32 }, detector)).Shape);
    }

    [Fact]
    public void AnImageAtTheInputsSizeIsTakenAsItIsUnlessResizeOrCropIsGiven()
    {
        using var dir = TestPaths.NewTempDir();
        var path = WritePng(dir.File("line.png"), 320, 48, (x, _) => Line(x, 320));
        var input = Spec([1, 3, 48, 320]);
        var asIs = ImageLoader.Load(path, Preprocessing.Resolve(new PreprocessOverrides(), input)).AsSpan<float>();
        var black = (float)((0 - 0.485) / 0.229);
        Assert.Equal(black, asIs[0], 4);
        Assert.Equal(black, asIs[319], 4);
        // asked for: the torchvision resize (366 wide) and centre crop cut the bars off, as every image got before
        var cropped = ImageLoader.Load(path, Preprocessing.Resolve(new PreprocessOverrides { Resize = 55 }, input)).AsSpan<float>();
        Assert.NotEqual(black, cropped[0], 1);
        Assert.NotEqual(black, cropped[319], 1);
    }

    [Fact]
    public void ACropLargerThanTheResizeNamesTheWaysToSetTheSize()
    {
        var e = Assert.Throws<InvalidInputException>(() => Preprocessing.Resolve(new PreprocessOverrides { Resize = 48 }, Spec([1, 3, 224, 224])));
        Assert.Contains("224x224", e.Message);
        Assert.Contains("preprocess.yaml", e.Message);
        Assert.Contains("--shapes", e.Message);
    }

    [Fact]
    public void AFourChannelInputReadsRgbaWithAlphaAsDecodedAndOnnxRuntimeRunsIt()
    {
        using var dir = TestPaths.NewTempDir();
        WritePng(dir.File("rgba.png"), 8, 8, (x, y) => new SKColor(200, 100, 50, (byte)(128 + x * 16 + y)));
        var input = Spec([1, 8, 8, 4]);
        var data = DataSet.Open(new DataOptions { Folder = dir.Path, Preprocess = new PreprocessOverrides { Scale = 1, Mean = [0, 0, 0], Std = [1, 1, 1] } },
            new ModelSignature([input], []));
        Assert.Equal((4, ImageLayout.Nhwc), (data.Preprocessing!.Channels, data.Preprocessing.Layout));
        var tensor = data.Read().Single().Inputs["x"];
        Assert.Equal([1, 8, 8, 4], tensor.Shape);
        var v = tensor.AsSpan<float>();
        for (var y = 0; y < 8; y++)
            for (var x = 0; x < 8; x++)
            {
                var o = (y * 8 + x) * 4;
                Assert.Equal(128 + x * 16 + y, v[o + 3]);
                // the colours of translucent pixels go through Skia's premultiplied encoding: within a level or two
                Assert.InRange(v[o], 198, 202);
                Assert.InRange(v[o + 2], 48, 52);
            }
        // alpha is the last channel in BGR order too
        var bgr = ImageLoader.Load(dir.File("rgba.png"), Preprocessing.Resolve(new PreprocessOverrides { Colors = ColorOrder.Bgr, Scale = 1, Mean = [0], Std = [1] }, input)).AsSpan<float>();
        var pixel = (1 * 8 + 0) * 4; // x 0, y 1
        Assert.Equal((v[pixel + 2], v[pixel], 129f), (bgr[pixel], bgr[pixel + 2], bgr[pixel + 3]));

        // y = ReduceMean over H and W: ONNX Runtime takes the 4-channel sample; the alpha mean is 128 + 16*3.5 + 3.5
        var g = new GraphBuilder();
        var xin = g.Input("x", ElementType.Float, 1, 8, 8, 4);
        g.Output(g.Op("ReduceMean", [xin], ("axes", new long[] { 1, 2 }), ("keepdims", 0L)));
        var mean = OrtRunner.Run(g.Build(), new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float, tensor.Shape, v.ToArray()) }).Values.Single().AsDoubles();
        Assert.Equal(128 + 16 * 3.5 + 3.5, mean[3], 3);
    }

    [Fact]
    public void OtherChannelCountsAreRefusedPointingAtNpyFiles()
    {
        var e = Assert.Throws<InvalidInputException>(() => Preprocessing.Resolve(new PreprocessOverrides(), Spec([1, 5, 32, 32])));
        Assert.Contains("4 (colour and alpha)", e.Message);
        Assert.Contains(".npy", e.Message);
    }

    [Fact]
    public void TheNoteOnTheSizeIsWrittenOncePerCommand()
    {
        using var dir = TestPaths.NewTempDir();
        WritePng(dir.File("a.png"), 100, 24, (x, _) => Line(x, 100));
        var signature = new ModelSignature([Spec([-1, 3, 48, -1])], []);
        var stderr = new StringWriter();
        using (DataNotes.To(stderr))
        {
            DataSet.Open(new DataOptions { Folder = dir.Path }, signature);
            DataSet.Open(new DataOptions { Folder = dir.Path }, signature);
        }
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("height 48, width from each image's aspect ratio", lines[0]);
        // a fixed size is no news: no note
        var quiet = new StringWriter();
        using (DataNotes.To(quiet))
            DataSet.Open(new DataOptions { Folder = dir.Path, Shapes = new Dictionary<string, long[]> { ["x"] = [1, 3, 48, 200] } }, signature);
        Assert.Equal("", quiet.ToString());
    }

    [Fact]
    public void WithBothSidesOpenTheNotePointsAtMultipleForDetectors()
    {
        using var dir = TestPaths.NewTempDir();
        WritePng(dir.File("a.png"), 50, 37, (x, _) => Line(x, 50));
        var signature = new ModelSignature([Spec([-1, 3, -1, -1])], []);
        var open = new StringWriter();
        using (DataNotes.To(open)) DataSet.Open(new DataOptions { Folder = dir.Path }, signature);
        Assert.Contains("'multiple: 32'", open.ToString());
        // a recognizer's open width, or a multiple already set, gets no such hint
        var line = new StringWriter();
        using (DataNotes.To(line)) DataSet.Open(new DataOptions { Folder = dir.Path }, new ModelSignature([Spec([-1, 3, 48, -1])], []));
        Assert.DoesNotContain("multiple: 32", line.ToString());
        File.WriteAllText(dir.File("preprocess.yaml"), "multiple: 32\n");
        var set = new StringWriter();
        using (DataNotes.To(set)) DataSet.Open(new DataOptions { Folder = dir.Path }, signature);
        Assert.DoesNotContain("'multiple: 32'", set.ToString());
        Assert.Contains("padded to a multiple of 32", set.ToString());
    }
}
