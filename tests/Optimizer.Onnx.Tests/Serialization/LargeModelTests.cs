using System.Security.Cryptography;
using ModelGen;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

/// <summary>
/// Models beyond protobuf's 2 GiB limit. Slow (writes 2.3 GB twice), so kept out of the default run:
/// <c>dotnet test tests/Optimizer.Onnx.Tests --filter Category=Large</c>.
/// </summary>
[Trait("Category", "Large")]
public class LargeModelTests
{
    [Fact]
    public void AModelOverTwoGibibytesIsWrittenWithExternalDataAndReadBackEqual()
    {
        using var dir = TestPaths.NewTempDir();
        var model = LargeModel.Create(2.2);
        Assert.True(ModelWriter.InlineBytes(model) > 2.2 * (1L << 30));
        var path = dir.File("large.onnx");
        ModelWriter.Write(model, path); // Auto: too big to inline
        Assert.True(new FileInfo(path).Length < 64 * 1024);
        Assert.True(new FileInfo(path + ".data").Length >= ModelWriter.InlineBytes(model));

        var back = ModelReader.Read(path);
        Assert.Equal(model.Graph.Initializers.Count, back.Graph.Initializers.Count);
        foreach (var (expected, actual) in model.Graph.Initializers.Zip(back.Graph.Initializers))
        {
            Assert.Equal(expected.Name, actual.Name);
            Assert.True(actual.Initializer!.IsExternal);
            Assert.Equal(expected.Initializer!.Dims, actual.Initializer.Dims);
            Assert.Equal(Hash(expected.Initializer), Hash(actual.Initializer));
        }

        // And once more from the read model to another folder: streamed from the first data file.
        Directory.CreateDirectory(dir.File("copy"));
        ModelWriter.Write(back, dir.File("copy/large.onnx"));
        Assert.Equal(FileHashOf(path + ".data"), FileHashOf(dir.File("copy/large.onnx.data")));
    }

    private static string Hash(Tensor t)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sink = new HashStream(sha);
        t.Data!.CopyTo(sink);
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static string FileHashOf(string path) => Optimizer.Onnx.IO.FileHash.Sha256(path);

    private sealed class HashStream(IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => hash.AppendData(buffer);
    }
}
