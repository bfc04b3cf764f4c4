using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

public class TensorCodecTests
{
    [Fact]
    public void TypedFieldsDecodeToTheSameValuesAsRawData()
    {
        var typed = new TensorProto { Name = "t", DataType = (int)ElementType.Float16 };
        typed.Dims.Add(3);
        var halves = new[] { (Half)1.5, (Half)(-2), (Half)0.25 };
        typed.Int32Data.AddRange(halves.Select(h => (int)BitConverter.HalfToUInt16Bits(h)));
        var tensor = TensorCodec.Import(typed, null);
        Assert.Equal(halves, tensor.ToArray<Half>());

        var int64 = new TensorProto { Name = "i", DataType = (int)ElementType.Int64 };
        int64.Dims.AddRange([2, 2]);
        int64.Int64Data.AddRange([1, -2, 3, long.MaxValue]);
        Assert.Equal([1L, -2, 3, long.MaxValue], TensorCodec.Import(int64, null).ToArray<long>());

        var u32 = new TensorProto { Name = "u", DataType = (int)ElementType.UInt32 };
        u32.Dims.Add(2);
        u32.Uint64Data.AddRange([7, uint.MaxValue]);
        Assert.Equal([7u, uint.MaxValue], TensorCodec.Import(u32, null).ToArray<uint>());
    }

    [Fact]
    public void AChangedTensorIsWrittenAsRawDataWithItsNewShape()
    {
        var typed = new TensorProto { Name = "t", DataType = (int)ElementType.Float };
        typed.Dims.Add(2);
        typed.FloatData.AddRange([1f, 2f]);
        var tensor = TensorCodec.Import(typed, null);
        tensor.SetData(new float[] { 3, 4, 5 }, 3);
        var written = TensorCodec.Export(tensor, null);
        Assert.Empty(written.FloatData);
        Assert.Equal([3L], written.Dims);
        Assert.Equal(12, written.RawData.Length);
        Assert.Equal([3f, 4f, 5f], TensorCodec.Import(written, null).ToArray<float>());
    }

    [Fact]
    public void ADataLengthThatDoesNotMatchTheShapeIsRefused()
    {
        var bad = new TensorProto { Name = "bad", DataType = (int)ElementType.Float, RawData = ByteString.CopyFrom(new byte[10]) };
        bad.Dims.Add(3);
        var ex = Assert.Throws<Optimizer.Onnx.Errors.InvalidInputException>(() => TensorCodec.Import(bad, null));
        Assert.Contains("'bad'", ex.Message);
    }

    [Fact]
    public void TensorFilesOfTheBackendSuiteRead()
    {
        var files = TestPaths.BackendModels().Take(200)
            .SelectMany(m => Directory.EnumerateFiles(Path.Combine(Path.GetDirectoryName(m)!, "test_data_set_0"), "*.pb")).ToList();
        Assert.True(files.Count >= 400, $"only {files.Count} tensor files in the first 200 backend-suite folders");
        foreach (var f in files)
        {
            var t = TensorFile.Read(f);
            Assert.Equal(t.ElementType == ElementType.String ? t.GetStrings().Sum(s => (long)s.Length) : t.ElementType.ByteCount(t.ElementCount), t.ByteCount);
        }
    }
}

public class TensorFileRefusalTests
{
    /// <summary>
    /// test_data_set folders also hold sequences and optionals: read as a tensor, each is either a tensor whose data
    /// matches its shape or a clear refusal that names the file, never an arithmetic or index exception.
    /// </summary>
    [Fact]
    public void SequenceAndOptionalFilesAreRefusedByName()
    {
        var files = TestPaths.BackendModels()
            .Where(m => Path.GetFileName(Path.GetDirectoryName(m))!.Contains("sequence") || Path.GetFileName(Path.GetDirectoryName(m))!.Contains("optional"))
            .SelectMany(m => Directory.EnumerateFiles(Path.Combine(Path.GetDirectoryName(m)!, "test_data_set_0"), "*.pb")).ToList();
        Assert.True(files.Count > 20, $"expected sequence and optional test data in the backend suite, found {files.Count} files");
        var refused = 0;
        foreach (var f in files)
        {
            try
            {
                var t = TensorFile.Read(f);
                Assert.Equal(t.ElementType.ByteCount(t.ElementCount), t.GetRawBytes().Length);
            }
            catch (Optimizer.Onnx.Errors.InvalidInputException e)
            {
                refused++;
                Assert.Contains(f, e.Message);
            }
        }
        Assert.True(refused > 0, "no sequence file was refused: they cannot all be tensors");
    }

    [Fact]
    public void ACorruptFileIsRefusedByName()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "input_0.pb");
        File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        var e = Assert.Throws<Optimizer.Onnx.Errors.InvalidInputException>(() => TensorFile.Read(path));
        Assert.Contains(path, e.Message);
    }
}
