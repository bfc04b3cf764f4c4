using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

public class ExternalDataTests
{
    private static Model ModelWithWeights(out float[] weights)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 512);
        weights = b.RandomFloats([512, 256]);
        var w = b.Initializer("w", weights, 512, 256);
        var small = b.Initializer("bias", new float[256], 256);
        b.Output(b.Op("Add", [b.Op("MatMul", [x, w]), small]));
        return b.Build();
    }

    [Fact]
    public void LargeTensorsGoToTheDataFileAndReadBackEqual()
    {
        using var dir = TestPaths.NewTempDir();
        var model = ModelWithWeights(out var weights);
        var path = dir.File("m.onnx");
        ModelWriter.Write(model, path, new ModelWriteOptions { ExternalData = ExternalDataMode.Always });
        Assert.True(File.Exists(path + ".data"));
        Assert.True(new FileInfo(path).Length < 4096, "the model file should hold no weights");

        var back = ModelReader.Read(path);
        var w = back.Graph.Initializers.Single(v => v.Name == "w").Initializer!;
        Assert.True(w.IsExternal);
        Assert.Equal(weights, w.ToArray<float>());
        var bias = back.Graph.Initializers.Single(v => v.Name == "bias").Initializer!;
        Assert.True(bias.IsExternal); // 1 KiB: at the threshold
        var inputs = OrtRunner.SeededInputs(model);
        Assert.Equal(0, OrtRunner.MaxRelativeError(model, back, inputs));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("weights.bin")]
    public void OnnxRuntimeLoadsTheWrittenDataFileFromTheModelsPathAndAgreesWithTheInlineModel(string? dataFile)
    {
        using var dir = TestPaths.NewTempDir();
        var model = ModelWithWeights(out _);
        var inlinePath = dir.File("inline.onnx");
        ModelWriter.Write(model, inlinePath, new ModelWriteOptions { ExternalData = ExternalDataMode.Never });
        Directory.CreateDirectory(dir.File("ext"));
        var path = dir.File("ext/m.onnx");
        ModelWriter.Write(model, path, new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalFileName = dataFile });
        var dataPath = dir.File("ext/" + (dataFile ?? "m.onnx.data"));
        Assert.True(File.Exists(dataPath));
        Assert.True(new FileInfo(path).Length < 4096, "the model file should hold no weights");

        var inputs = OrtRunner.SeededInputs(model);
        var expected = OrtRunner.RunFile(inlinePath, inputs);
        var actual = OrtRunner.RunFile(path, inputs);
        var name = Assert.Single(expected.Keys);
        Assert.Equal(expected[name].Dims, actual[name].Dims);
        Assert.Equal((float[])expected[name].Data, (float[])actual[name].Data);

        // The weights really come from the data file: zeroing it changes ORT's answer, removing it makes the load fail.
        File.WriteAllBytes(dataPath, new byte[new FileInfo(dataPath).Length]);
        var zeroed = OrtRunner.RunFile(path, inputs);
        Assert.All((float[])zeroed[name].Data, v => Assert.Equal(0f, v));
        File.Delete(dataPath);
        Assert.ThrowsAny<Exception>(() => OrtRunner.RunFile(path, inputs));
    }

    [Fact]
    public void OnnxRuntimeFindsTheDataFileAfterTheModelFolderIsMoved()
    {
        using var dir = TestPaths.NewTempDir();
        var model = ModelWithWeights(out _);
        Directory.CreateDirectory(dir.File("a"));
        ModelWriter.Write(model, dir.File("a/m.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Always });
        Directory.Move(dir.File("a"), dir.File("b"));
        var inputs = OrtRunner.SeededInputs(model);
        var expected = OrtRunner.Run(model, inputs);
        var actual = OrtRunner.RunFile(dir.File("b/m.onnx"), inputs);
        var name = Assert.Single(expected.Keys);
        Assert.Equal((float[])expected[name].Data, (float[])actual[name].Data);
    }

    [Fact]
    public void ExternalAndInMemoryBytesHashAndCompareAlike()
    {
        using var dir = TestPaths.NewTempDir();
        var model = ModelWithWeights(out var weights);
        var path = dir.File("m.onnx");
        ModelWriter.Write(model, path, new ModelWriteOptions { ExternalData = ExternalDataMode.Always });
        var external = ModelReader.Read(path).Graph.Initializers.Single(v => v.Name == "w").Initializer!.Data!;
        var inMemory = Tensor.FromArray("w", weights, 512, 256).Data!;
        Assert.IsType<ExternalTensorData>(external);

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(inMemory.Read().Span), external.Sha256());
        Assert.Equal(inMemory.Sha256(), external.Sha256());
        Assert.True(external.ContentEquals(inMemory));
        var changed = (float[])weights.Clone();
        changed[^1] += 1; // the difference is in the last chunk-sized block's last element
        Assert.False(external.ContentEquals(Tensor.FromArray("w", changed, 512, 256).Data!));
        Assert.False(external.ContentEquals(Tensor.FromArray("w", weights[..^1], 512 * 256 - 1).Data!));
    }

    [Fact]
    public void AModelReadWithExternalDataCanBeWrittenInlineElsewhere()
    {
        using var dir = TestPaths.NewTempDir();
        var model = ModelWithWeights(out var weights);
        ModelWriter.Write(model, dir.File("a.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Always });
        var back = ModelReader.Read(dir.File("a.onnx"));
        Directory.CreateDirectory(dir.File("out"));
        ModelWriter.Write(back, dir.File("out/b.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Never });
        Assert.False(File.Exists(dir.File("out/b.onnx.data")));
        var again = ModelReader.Read(dir.File("out/b.onnx"));
        Assert.Equal(weights, again.Graph.Initializers.Single(v => v.Name == "w").Initializer!.ToArray<float>());
    }

    [Fact]
    public void TheWriterRefusesToWriteOverTheInput()
    {
        using var dir = TestPaths.NewTempDir();
        ModelWriter.Write(ModelWithWeights(out _), dir.File("m.onnx"));
        var before = File.ReadAllBytes(dir.File("m.onnx"));
        var model = ModelReader.Read(dir.File("m.onnx"));
        var ex = Assert.Throws<InvalidInputException>(() => ModelWriter.Write(model, dir.File("m.onnx")));
        Assert.Contains("over the input", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(dir.File("m.onnx")));
    }

    [Fact]
    public void TheWriterRefusesToWriteOverTheInputsDataFile()
    {
        using var dir = TestPaths.NewTempDir();
        ModelWriter.Write(ModelWithWeights(out _), dir.File("m.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalFileName = "w.bin" });
        var model = ModelReader.Read(dir.File("m.onnx"));
        var ex = Assert.Throws<InvalidInputException>(() =>
            ModelWriter.Write(model, dir.File("other.onnx"), new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalFileName = "w.bin" }));
        Assert.Contains("reads its weights from", ex.Message);
        Assert.False(File.Exists(dir.File("other.onnx")));
    }

    [Theory]
    [InlineData("../outside.bin", "contains '..'")]
    [InlineData("sub/../../outside.bin", "contains '..'")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("missing.bin", "does not exist")]
    public void UnsafeOrMissingLocationsAreRefused(string location, string reason)
    {
        using var dir = TestPaths.NewTempDir();
        var path = WriteWithLocation(dir, location);
        var ex = Assert.Throws<InvalidInputException>(() => ModelReader.Read(path));
        Assert.Contains(reason, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void ALinkLeadingOutOfTheFolderIsRefused()
    {
        using var outside = TestPaths.NewTempDir();
        File.WriteAllBytes(outside.File("secret.bin"), new byte[512 * 256 * 4]);
        using var dir = TestPaths.NewTempDir();
        File.CreateSymbolicLink(dir.File("weights.bin"), outside.File("secret.bin"));
        var path = WriteWithLocation(dir, "weights.bin");
        var ex = Assert.Throws<InvalidInputException>(() => ModelReader.Read(path));
        Assert.Contains("through a link", ex.Message);
    }

    [Fact]
    public void ALinkInsideTheFolderIsAccepted()
    {
        using var dir = TestPaths.NewTempDir();
        var path = WriteWithLocation(dir, "real.bin");
        File.Move(dir.File("real.bin"), dir.File("real2.bin"));
        File.CreateSymbolicLink(dir.File("real.bin"), dir.File("real2.bin"));
        Assert.Equal(512 * 256, ModelReader.Read(path).Graph.Initializers.Single(v => v.Name == "w").Initializer!.ElementCount);
    }

    /// <summary>Writes a model whose 'w' lives in external data, then rewrites its location to <paramref name="location"/>.</summary>
    private static string WriteWithLocation(TempDir dir, string location)
    {
        var path = dir.File("m.onnx");
        ModelWriter.Write(ModelWithWeights(out _), path, new ModelWriteOptions { ExternalData = ExternalDataMode.Always, ExternalFileName = "real.bin" });
        var proto = Optimizer.Onnx.Protobuf.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        foreach (var t in proto.Graph.Initializer)
            foreach (var e in t.ExternalData)
                if (e.Key == "location") e.Value = location;
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        return path;
    }
}
