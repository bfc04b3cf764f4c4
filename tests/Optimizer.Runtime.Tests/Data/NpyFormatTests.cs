using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Data;

public sealed class NpyFormatTests
{
    [Fact]
    public void ReadsTheReferenceArraysNumpyWrote()
    {
        var ids = NpyFormat.Read(TestPaths.SharedModel("ref/bert_mini/input_ids.npy"));
        Assert.Equal(TensorElementType.Int64, ids.ElementType);
        Assert.Equal([1, 128], ids.Shape);
        // meta.json: the reference input is bert_calib sample 0001.
        Assert.Equal(NpyFormat.Read(TestPaths.SharedModel("bert_calib/input_ids_0001.npy")).Bytes, ids.Bytes);
        var image = NpyFormat.Read(TestPaths.SharedModel("ref/mobilenet_v2/input.npy"));
        Assert.Equal((TensorElementType.Float, "1x3x224x224"), (image.ElementType, image.ShapeText));
    }

    [Theory]
    [InlineData(TensorElementType.Float)]
    [InlineData(TensorElementType.Double)]
    [InlineData(TensorElementType.Int64)]
    [InlineData(TensorElementType.Int8)]
    [InlineData(TensorElementType.Bool)]
    [InlineData(TensorElementType.Float16)]
    public void WriteThenReadGivesTheSameArray(TensorElementType type)
    {
        var tensor = HostTensor.Allocate(type, [2, 3]);
        for (var i = 0; i < tensor.Bytes.Length; i++) tensor.Bytes[i] = (byte)(i * 7 % 2);
        using var stream = new MemoryStream();
        NpyFormat.Write(stream, tensor);
        stream.Position = 0;
        var back = NpyFormat.Read(stream, "memory");
        Assert.Equal((type, "2x3"), (back.ElementType, back.ShapeText));
        Assert.Equal(tensor.Bytes, back.Bytes);
    }

    [Fact]
    public void ATruncatedFileIsBadDataNamedByItsFile()
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("cut.npy");
        File.WriteAllBytes(path, File.ReadAllBytes(TestPaths.SharedModel("ref/mobilenet_v2/input.npy"))[..1000]);
        var e = Assert.Throws<InvalidInputException>(() => NpyFormat.Read(path));
        Assert.Contains("cut.npy", e.Message);
        Assert.Contains("truncated", e.Message);
        File.WriteAllText(path, "not numpy at all");
        Assert.Contains("magic", Assert.Throws<InvalidInputException>(() => NpyFormat.Read(path)).Message);
    }

    [Fact]
    public void NpzHoldsOneArrayPerInput()
    {
        using var dir = TestPaths.NewTempDir();
        var arrays = new Dictionary<string, HostTensor>
        {
            ["input_ids"] = HostTensor.FromArray(new long[] { 1, 2, 3 }, [1, 3]),
            ["attention_mask"] = HostTensor.FromArray(new long[] { 1, 1, 0 }, [1, 3]),
        };
        var path = dir.File("s.npz");
        using (var file = File.Create(path)) NpzFormat.Write(file, arrays);
        var back = NpzFormat.Read(path);
        Assert.Equal(arrays.Keys.Order(), back.Keys.Order());
        Assert.Equal(new long[] { 1, 1, 0 }, back["attention_mask"].AsSpan<long>().ToArray());
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("s.npz", Assert.Throws<InvalidInputException>(() => NpzFormat.Read(path)).Message);
    }
}
