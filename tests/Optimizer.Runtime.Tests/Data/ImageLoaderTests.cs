using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Runtime.Tests.Data;

public sealed class ImageLoaderTests(ITestOutputHelper output)
{
    private static readonly TensorSpec ImageInput = new("input", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [-1, 3, 224, 224], ["batch", "", "", ""], true);

    [Fact]
    public void AstronautMatchesTheTorchvisionPreprocessingOfTheReference()
    {
        var p = Preprocessing.Resolve(new PreprocessOverrides(), ImageInput);
        Assert.Equal((256, 224, ImageLayout.Nchw, ColorOrder.Rgb), (p.Resize, p.Crop, p.Layout, p.Colors));
        var mine = ImageLoader.Load(TestPaths.SharedModel("images/astronaut.png"), p);
        var reference = NpyFormat.Read(TestPaths.SharedModel("ref/mobilenet_v2/input.npy"));
        Assert.Equal(reference.Shape, mine.Shape);
        var a = mine.AsSpan<float>();
        var b = reference.AsSpan<float>();
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        var mean = sum / a.Length;
        output.WriteLine($"mean abs difference from torchvision's preprocessing: {mean}");
        // Resampling filters differ (Skia's mipmapped bilinear vs PIL's antialiased bilinear); the crop and the
        // normalization must match, which keeps the difference far below the data's spread (std ~1).
        Assert.True(mean < 0.03, $"mean abs difference {mean}");
    }

    [Fact]
    public void NhwcAndBgrFollowTheFlags()
    {
        var nchw = ImageLoader.Load(TestPaths.SharedModel("images/coffee.png"), Preprocessing.Resolve(new PreprocessOverrides { Crop = 32 }, ImageInput));
        var nhwc = ImageLoader.Load(TestPaths.SharedModel("images/coffee.png"),
            Preprocessing.Resolve(new PreprocessOverrides { Crop = 32, Layout = ImageLayout.Nhwc, Colors = ColorOrder.Bgr, Mean = [0, 0, 0], Std = [1, 1, 1] }, ImageInput));
        Assert.Equal([1, 32, 32, 3], nhwc.Shape);
        // Pixel (y=5, x=7): red in NCHW channel 0 equals NHWC's last channel (BGR), up to the different normalization.
        var red = nchw.AsSpan<float>()[(0 * 32 + 5) * 32 + 7] * 0.229 + 0.485;
        var redBgr = nhwc.AsSpan<float>()[(5 * 32 + 7) * 3 + 2];
        Assert.Equal(red, redBgr, 5);
    }

    [Fact]
    public void TransparentPixelsReadByTheirStoredColourAreNotedOnce()
    {
        using var dir = TestPaths.NewTempDir();
        void Write(string name, byte alpha)
        {
            // black text-like pixels on a background whose colour is black too, transparent or not
            using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(8, 8, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
            for (var y = 0; y < 8; y++)
                for (var x = 0; x < 8; x++) bitmap.SetPixel(x, y, new SkiaSharp.SKColor(0, 0, 0, x < 4 ? (byte)255 : alpha));
            using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(dir.File(name), png.ToArray());
        }
        Write("opaque.png", 255);
        Write("clear.png", 0);
        var p = Preprocessing.Resolve(new PreprocessOverrides(), ImageInput);

        var notes = new StringWriter();
        using (DataNotes.To(notes))
        {
            ImageLoader.Load(dir.File("opaque.png"), p);
            Assert.Equal("", notes.ToString());
            ImageLoader.Load(dir.File("clear.png"), p);
            ImageLoader.Load(dir.File("clear.png"), p);
        }

        Assert.Contains("images with transparent pixels (clear.png the first) are read by the colour stored under them, alpha dropped", notes.ToString());
        Assert.Single(notes.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AFloat16InputGetsTheImageInFloat16()
    {
        // a model converted with --no-keep-io-types takes float16: its images are made in that type, not refused as float32
        using var dir = TestPaths.NewTempDir();
        File.Copy(TestPaths.SharedModel("images/coffee.png"), dir.File("coffee.png"));
        var half = new TensorSpec("input", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, [-1, 3, 224, 224], ["batch", "", "", ""], true);
        var signature = new ModelSignature([half], []);

        var sample = DataSet.Open(new DataOptions { Folder = dir.Path }, signature).Read().Single();
        var asFloat = ImageLoader.Load(dir.File("coffee.png"), Preprocessing.Resolve(new PreprocessOverrides(), ImageInput)).AsSpan<float>();

        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, sample.Inputs["input"].ElementType);
        var values = sample.Inputs["input"].AsSpan<Half>();
        Assert.Equal(asFloat.Length, values.Length);
        for (var i = 0; i < values.Length; i += 997) Assert.Equal((Half)asFloat[i], values[i]);
    }

    [Fact]
    public void WebpDecodesLikeThePngItWasMadeFrom()
    {
        using var dir = TestPaths.NewTempDir();
        var png = TestPaths.SharedModel("images/chelsea.png");
        using (var bitmap = SkiaSharp.SKBitmap.Decode(png))
        using (var image = SkiaSharp.SKImage.FromBitmap(bitmap))
        using (var webp = image.Encode(SkiaSharp.SKEncodedImageFormat.Webp, 100))
            File.WriteAllBytes(dir.File("chelsea.webp"), webp.ToArray());
        var p = Preprocessing.Resolve(new PreprocessOverrides(), ImageInput);
        var a = ImageLoader.Load(png, p).AsSpan<float>();
        var b = ImageLoader.Load(dir.File("chelsea.webp"), p).AsSpan<float>();
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        Assert.True(sum / a.Length < 0.02, $"mean abs difference {sum / a.Length}");
    }

    [Fact]
    public void ACorruptImageNamesItsFile()
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("broken.png");
        var bytes = File.ReadAllBytes(TestPaths.SharedModel("images/coins.png"));
        File.WriteAllBytes(path, bytes[..64]);
        var e = Assert.Throws<InvalidInputException>(() => ImageLoader.Load(path, Preprocessing.Resolve(new PreprocessOverrides(), ImageInput)));
        Assert.Contains("broken.png", e.Message);
    }

    [Fact]
    public void PreprocessYamlIsReadAndFlagsOverrideIt()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File(PreprocessFile.FileName), "resize: 100\ncrop: 64\ncolors: bgr\nlayout: nhwc\nmean: [0.5, 0.5, 0.5]\n");
        var fromFile = PreprocessFile.ReadIfPresent(dir.Path);
        var p = Preprocessing.Resolve(new PreprocessOverrides { Crop = 80 }.Over(fromFile), ImageInput);
        Assert.Equal((100, 80, ColorOrder.Bgr, ImageLayout.Nhwc, 0.5), (p.Resize, p.Crop, p.Colors, p.Layout, p.Mean[1]));
        File.WriteAllText(dir.File(PreprocessFile.FileName), "colors: purple\n");
        Assert.Throws<InvalidInputException>(() => PreprocessFile.ReadIfPresent(dir.Path));
    }

    [Fact]
    public void PreprocessYamlTakesOneNumberForMeanAndStdAsTheFlagsDo()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File(PreprocessFile.FileName), "scale: 0.00392156862745098\nmean: 0.5\nstd: 1\n");
        var p = Preprocessing.Resolve(PreprocessFile.ReadIfPresent(dir.Path), ImageInput);
        Assert.Equal([0.5, 0.5, 0.5], p.Mean);
        Assert.Equal([1.0, 1.0, 1.0], p.Std);
        // a word where a number goes names the key; a broken value names the line
        File.WriteAllText(dir.File(PreprocessFile.FileName), "mean: half\n");
        Assert.Contains("mean: 'half' is not a number", Assert.Throws<InvalidInputException>(() => PreprocessFile.ReadIfPresent(dir.Path)).Message);
        File.WriteAllText(dir.File(PreprocessFile.FileName), "resize: 100\ncrop: [1, 2]\n");
        Assert.Contains("line 2", Assert.Throws<InvalidInputException>(() => PreprocessFile.ReadIfPresent(dir.Path)).Message);
    }

    [Fact]
    public void AOneChannelInputReadsGrayImagesAtItsOwnHeightAndWidth()
    {
        // a text-line recognizer's input: gray, 64 rows, dynamic width fixed by --shapes
        var line = new TensorSpec("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, 1, 64, -1], ["", "", "", "width"], true);
        var gray = Preprocessing.Resolve(new PreprocessOverrides(), line, new Dictionary<string, long[]> { ["x"] = [1, 1, 64, 256] });
        Assert.Equal((64, 256, 1, ImageLayout.Nchw), (gray.Height, gray.Width, gray.Channels, gray.Layout));
        Assert.Equal((0.5, 0.5), (gray.Mean.Single(), gray.Std.Single()));
        var image = TestPaths.SharedModel("images/coffee.png");
        var g = ImageLoader.Load(image, gray);
        Assert.Equal([1, 1, 64, 256], g.Shape);
        // the same crop in colour, unnormalized: the gray level is the BT.601 luma of its pixels
        var colour = new TensorSpec("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, 3, 64, 256], ["", "", "", ""], true);
        var rgb = ImageLoader.Load(image, Preprocessing.Resolve(new PreprocessOverrides { Scale = 1, Mean = [0], Std = [1] }, colour)).AsSpan<float>();
        var levels = g.AsSpan<float>();
        var plane = 64 * 256;
        foreach (var i in new[] { 0, 1000, 8191, plane - 1 })
        {
            var luma = 0.299 * rgb[i] + 0.587 * rgb[plane + i] + 0.114 * rgb[2 * plane + i];
            Assert.Equal((luma / 255.0 - 0.5) / 0.5, levels[i], 4);
        }
    }

    [Fact]
    public void ANonSquareCropScalesTheSideItBindsAndASquareOneKeepsTorchvisionsShortSide()
    {
        var square = Preprocessing.Resolve(new PreprocessOverrides(), ImageInput);
        Assert.Equal((256, 341), ImagePlacement.ResizedSize(300, 400, square));
        Assert.Equal((341, 256), ImagePlacement.ResizedSize(400, 300, square));
        var wide = Preprocessing.Resolve(new PreprocessOverrides(), new TensorSpec("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, 48, 320, 3], ["", "", "", ""], true));
        Assert.Equal((48, 320, 3, ImageLayout.Nhwc), (wide.Height, wide.Width, wide.Channels, wide.Layout));
        // a square photo: the width binds (320 of 512 needs more scale than 48 of 512); the height follows
        var (w, h) = ImagePlacement.ResizedSize(512, 512, wide);
        Assert.Equal((367, 367), (w, h));
        // a wide text line already wider than the crop's proportions: the height binds
        (w, h) = ImagePlacement.ResizedSize(1000, 100, wide);
        Assert.Equal(55, h);
        Assert.True(w >= 320);
        Assert.Equal([1, 48, 320, 3], ImageLoader.Load(TestPaths.SharedModel("images/coffee.png"), wide).Shape);
    }

    [Theory]
    [InlineData(1, "0.1,0.2,0.3", "one mean and one std value")]
    [InlineData(5, null, "1 (gray), 3 (colour) or 4 (colour and alpha) channels")]
    public void GrayPreprocessingWithThreeMeansAndOtherChannelCountsAreRefused(int channels, string? mean, string message)
    {
        var input = new TensorSpec("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, channels, 32, 32], ["", "", "", ""], true);
        var given = new PreprocessOverrides { Mean = mean?.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray() };
        var e = Assert.Throws<InvalidInputException>(() => Preprocessing.Resolve(given, input));
        Assert.Contains(message, e.Message);
    }
}
