using System.CommandLine;
using System.Globalization;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The data and session options that bench and validate share (--data, --shapes, image preprocessing, --provider,
/// --device, --provider-option, --threads), and their parsing into the Runtime's records.
/// </summary>
public sealed class BenchDataOptions
{
    public Option<DirectoryInfo?> Data { get; } = new("--data") { Description = "Samples: .npy/.npz files, test_data_set_N folders or images (default: random inputs)." };
    public Option<string?> Shapes { get; } = new("--shapes") { HelpName = "NAME:DIMS,...", Description = "Shapes for dynamic dimensions, e.g. input:1x3x224x224,mask:1x128." };
    public Option<int?> Resize { get; } = new("--resize") { Description = "Images: resize the short side to this many pixels (default crop*256/224; for a crop that is not square, the side it binds scales by resize/its short side)." };
    public Option<int?> Crop { get; } = new("--crop") { Description = "Images: centre crop N x N (default: the model input's height and width, which may differ, from --shapes where dynamic; a side the model leaves open follows each image)." };
    public Option<double?> Scale { get; } = new("--scale") { Description = "Images: multiply pixel values (0..255) by this before mean/std (default 1/255)." };
    public Option<string?> Mean { get; } = new("--mean") { HelpName = "R,G,B|V", Description = "Images: per-channel mean, e.g. 0.485,0.456,0.406 (the default), or one value for all (a 1-channel input reads gray images: default 0.5)." };
    public Option<string?> Std { get; } = new("--std") { HelpName = "R,G,B|V", Description = "Images: per-channel std, e.g. 0.229,0.224,0.225 (the default), or one value for all (gray: default 0.5)." };
    public Option<bool> Bgr { get; } = new("--bgr") { Description = "Images: feed channels in BGR order (default RGB)." };
    public Option<string?> Layout { get; } = new("--layout") { HelpName = "nchw|nhwc", Description = "Images: nchw or nhwc (default from the model input)." };
    public Option<string> Provider { get; } = new("--provider") { HelpName = "cpu|cuda|tensorrt|auto", Description = "Execution provider: cpu, cuda or tensorrt (the GPU flavour), or auto: the best that loads here, said on stderr.", DefaultValueFactory = _ => "cpu" };
    public Option<int> Threads { get; } = new("--threads") { Description = "Intra-op threads (default: ONNX Runtime's choice)." };
    public ProviderOptionSet ProviderOptions { get; } = new();

    public BenchDataOptions()
    {
        Provider.AcceptOnlyFromAmong("cpu", "cuda", "tensorrt", "auto");
        Layout.AcceptOnlyFromAmong("nchw", "nhwc");
    }

    public void AddTo(Command command, bool includeData = true)
    {
        if (includeData) command.Add(Data);
        foreach (var option in new Option[] { Shapes, Resize, Crop, Scale, Mean, Std, Bgr, Layout, Provider, Threads }) command.Add(option);
        ProviderOptions.AddTo(command);
    }

    public DataOptions ParseData(ParseResult parse, DirectoryInfo? folder) => new()
    {
        Folder = CheckedFolder(folder),
        Shapes = DataOptions.ParseShapes(parse.GetValue(Shapes)),
        Preprocess = new PreprocessOverrides
        {
            Resize = parse.GetValue(Resize),
            Crop = parse.GetValue(Crop),
            Scale = parse.GetValue(Scale),
            Mean = ParseTriple(parse.GetValue(Mean), "--mean"),
            Std = ParseTriple(parse.GetValue(Std), "--std"),
            Colors = parse.GetValue(Bgr) ? ColorOrder.Bgr : null,
            Layout = parse.GetValue(Layout) is { } layout ? PreprocessFile.ParseEnum<ImageLayout>(layout, "--layout", "layout") : null,
        },
    };

    public SessionSettings ParseSession(ParseResult parse, SessionSettings defaults)
    {
        var threads = parse.GetValue(Threads);
        if (threads < 0) throw new InvalidInputException("--threads must be 0 or more");
        return ProviderOptions.Apply(parse, parse.GetValue(Provider)!, defaults, parse.InvocationConfiguration.Error) with { Threads = threads };
    }

    private static string? CheckedFolder(DirectoryInfo? folder)
    {
        if (folder is not null) DataOptions.CheckFolder(folder.FullName, "--data");
        return folder?.FullName;
    }

    private static double[]? ParseTriple(string? text, string option)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        if (values.Length is not (1 or 3) || values.Any(double.IsNaN))
            throw new InvalidInputException($"{option}: expected three numbers separated by commas (or one for every channel), got '{text}'");
        return values;
    }
}
