using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>Samples from image files, preprocessed for the model's single image input.</summary>
public static class ImageFolder
{
    public static IReadOnlyList<SampleEntry> Scan(string folder, ModelSignature signature, PreprocessOverrides flags, out Preprocessing? preprocessing,
        IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        preprocessing = null;
        var images = Directory.EnumerateFiles(folder).Where(ImageLoader.IsImage).Order(StringComparer.Ordinal).ToList();
        if (images.Count == 0) return [];
        if (signature.Inputs.Count != 1)
            throw new InvalidInputException($"{folder}: images feed a model with one input, but the model has {signature.Inputs.Count} ({string.Join(", ", signature.Inputs.Select(i => i.Name))})");
        var input = signature.Inputs[0];
        var p = Preprocessing.Resolve(flags.Over(PreprocessFile.ReadIfPresent(folder)), input, shapes);
        preprocessing = p;
        if (p.SizeOpenInModel)
            DataNotes.Write($"input '{input.Name}' {input.Describe()} leaves the image size open: the images in {folder} are read at {p.DescribeSize()} "
                + $"(set by crop, resize and multiple in {PreprocessFile.FileName}, or fixed with --shapes)"
                + (p is { Height: null, Width: null, Multiple: <= 1 } ? $"; a detector whose feature pyramid halves the image 5 times needs sides divisible by 32: 'multiple: 32' in {PreprocessFile.FileName}" : ""));
        return images.Select(path => new SampleEntry(Path.GetFileName(path),
            () => new Sample(Path.GetFileName(path), path, new Dictionary<string, HostTensor> { [input.Name] = AsInputType(ImageLoader.Load(path, p), input.ElementType) }))).ToList();
    }

    /// <summary>
    /// The preprocessed image in the element type the input takes: float16 for a model converted with
    /// --no-keep-io-types (the values rounded as the model's own first Cast would round them), else float32 as made.
    /// </summary>
    private static HostTensor AsInputType(HostTensor image, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType type)
    {
        if (type != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16) return image;
        var values = image.AsSpan<float>();
        var half = new Half[values.Length];
        for (var i = 0; i < half.Length; i++) half[i] = (Half)values[i];
        return HostTensor.FromArray(half, image.Shape);
    }
}
