using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Data;

/// <summary>The one data-set reader over each kind of folder, and the bad data it must refuse (naming the file).</summary>
public sealed class DataSetTests
{
    private static readonly ModelSignature Image = Signature(("input", TensorElementType.Float, [-1, 3, 224, 224]));
    private static readonly ModelSignature Bert = Signature(("input_ids", TensorElementType.Int64, [-1, -1]), ("attention_mask", TensorElementType.Int64, [-1, -1]));

    private static ModelSignature Signature(params (string Name, TensorElementType Type, long[] Dims)[] inputs) =>
        new(inputs.Select(i => new TensorSpec(i.Name, i.Type, i.Dims, [], true)).ToArray(), []);

    private static void Save(string path, HostTensor tensor) => AtomicFile.Write(path, s => NpyFormat.Write(s, tensor));

    [Fact]
    public void GroupsSeveralInputsByTheirSampleNumber()
    {
        var data = DataSet.Open(new DataOptions { Folder = TestPaths.SharedModel("bert_calib") }, Bert);
        Assert.Equal(100, data.Count);
        var first = data.Read().Take(3).ToList();
        Assert.All(first, s => Assert.Equal(["attention_mask", "input_ids"], s.Inputs.Keys.Order()));
        Assert.Equal("0000", first[0].Id);
        Assert.Equal("1x128", first[0].Inputs["input_ids"].ShapeText);
    }

    [Fact]
    public void ComparisonSamplesAreSpreadOverTheFolderNotItsFirstFew()
    {
        var data = DataSet.Open(new DataOptions { Folder = TestPaths.SharedModel("bert_calib") }, Bert);

        var spread = data.ReadSpread(32).Select(s => s.Id).ToList();

        Assert.Equal(32, spread.Count);
        Assert.Equal(["0000", "0003", "0006", "0009", "0012"], spread.Take(5));
        Assert.Equal("0096", spread[^1]);
        Assert.Equal(data.Read().Select(s => s.Id), data.ReadSpread(100).Select(s => s.Id)); // no more than it has: all, in order
        // calibrated on the first 10 only: the comparison reads those 10, not samples calibration never saw
        Assert.Equal(data.Read().Take(10).Select(s => s.Id), data.ReadSpread(32, within: 10).Select(s => s.Id));
        Assert.Equal(["0000", "0002", "0005"], data.ReadSpread(16, within: 40).Take(3).Select(s => s.Id));
    }

    [Fact]
    public void ImagesGetLabelsFromLabelsCsv()
    {
        using var dir = TestPaths.NewTempDir();
        foreach (var name in new[] { "astronaut.png", "coffee.png" }) File.Copy(TestPaths.SharedModel("images/" + name), dir.File(name));
        File.WriteAllText(dir.File("labels.csv"), "file,label\nastronaut.png,359\ncoffee,967\n");
        var data = DataSet.Open(new DataOptions { Folder = dir.Path }, Image);
        Assert.True(data.HasLabels);
        Assert.Equal([359, 967], data.Read().Select(s => s.Label ?? -1));
    }

    [Fact]
    public void ASampleOfSeveralFilesTakesItsLabelByNumberOrByAnyOfItsFilesAndUnlabelledSamplesAreNoted()
    {
        using var dir = TestPaths.NewTempDir();
        for (var i = 0; i < 4; i++)
            foreach (var input in new[] { "input_ids", "attention_mask" })
                Save(dir.File($"{input}_{i:D4}.npy"), HostTensor.FromArray(new long[] { 101, 102 }, [1, 2]));
        // a sentence classifier's folder as a user lists it: by a file of each sample, by its number, or not at all
        File.WriteAllLines(dir.File("labels.txt"), ["input_ids_0000.npy 1", "attention_mask_0001 0", "0002 1"]);
        var notes = new StringWriter();
        DataSet data;
        using (DataNotes.To(notes)) data = DataSet.Open(new DataOptions { Folder = dir.Path }, Bert);

        Assert.Equal([1, 0, 1, -1], data.Read().Select(s => s.Label ?? -1));
        Assert.Contains("labels.txt names 3 of the 4 samples; 1 (0003) count in no accuracy", notes.ToString());

        File.AppendAllLines(dir.File("labels.txt"), ["0003 0"]);
        notes = new StringWriter();
        using (DataNotes.To(notes)) data = DataSet.Open(new DataOptions { Folder = dir.Path }, Bert);
        Assert.Equal([1, 0, 1, 0], data.Read().Select(s => s.Label ?? -1));
        Assert.Equal("", notes.ToString());
    }

    [Fact]
    public void QuotedCsvFieldsAreReadAndALabelsTxtBesideALabelsCsvIsNoted()
    {
        using var dir = TestPaths.NewTempDir();
        File.Copy(TestPaths.SharedModel("images/astronaut.png"), dir.File("astronaut.png"));
        File.Copy(TestPaths.SharedModel("images/coffee.png"), dir.File("cup, coffee.png"));
        // as a spreadsheet writes it: quotes around every field, and around a name holding a comma
        File.WriteAllText(dir.File("labels.csv"), "\"file\",\"label\"\n\"astronaut.png\",\"359\"\n\"cup, coffee.png\" , 967\n");
        File.WriteAllText(dir.File("labels.txt"), "astronaut.png 1\n");
        var notes = new StringWriter();
        DataSet data;
        using (DataNotes.To(notes)) data = DataSet.Open(new DataOptions { Folder = dir.Path }, Image);

        Assert.Equal([359, 967], data.Read().Select(s => s.Label ?? -1));
        Assert.Contains("both labels.csv and labels.txt are here; labels.csv is read, labels.txt is not", notes.ToString());
    }

    [Fact]
    public void RandomInputsFollowShapesAndRefuseUnknownDimensions()
    {
        var shapes = DataOptions.ParseShapes("input_ids:1x16,attention_mask:1x16");
        var data = DataSet.Open(new DataOptions { Shapes = shapes, RandomSamples = 2 }, Bert);
        var samples = data.Read().ToList();
        Assert.Equal(2, samples.Count);
        Assert.Equal("1x16", samples[0].Inputs["attention_mask"].ShapeText);
        Assert.NotEqual(samples[0].Inputs["input_ids"].Bytes, samples[1].Inputs["input_ids"].Bytes);
        var e = Assert.Throws<InvalidInputException>(() => DataSet.Open(new DataOptions(), Bert).Read().First());
        Assert.Contains("--shapes", e.Message);
    }

    [Fact]
    public void AnEmptyFolderIsBadData()
    {
        using var dir = TestPaths.NewTempDir();
        var e = Assert.Throws<InvalidInputException>(() => DataSet.Open(new DataOptions { Folder = dir.Path }, Image));
        Assert.Contains("no samples", e.Message);
    }

    [Fact]
    public void WrongTypeWrongShapeAndNaNAreBadDataNamedByFile()
    {
        using var dir = TestPaths.NewTempDir();
        Save(dir.File("a_ok.npy"), HostTensor.Allocate(TensorElementType.Float, [1, 3, 224, 224]));
        Save(dir.File("b_double.npy"), HostTensor.Allocate(TensorElementType.Double, [1, 3, 224, 224]));
        var read = () => DataSet.Open(new DataOptions { Folder = dir.Path }, Image).Read().ToList();
        Assert.Contains("b_double.npy", Assert.Throws<InvalidInputException>(read).Message);

        File.Delete(dir.File("b_double.npy"));
        Save(dir.File("c_shape.npy"), HostTensor.Allocate(TensorElementType.Float, [1, 3, 200, 224]));
        var shape = Assert.Throws<InvalidInputException>(read).Message;
        Assert.Contains("c_shape.npy", shape);
        Assert.Contains("1x3x200x224", shape);

        File.Delete(dir.File("c_shape.npy"));
        var nan = HostTensor.Allocate(TensorElementType.Float, [1, 3, 224, 224]);
        nan.AsSpan<float>()[17] = float.NaN;
        Save(dir.File("d_nan.npy"), nan);
        var message = Assert.Throws<InvalidInputException>(read).Message;
        Assert.Contains("d_nan.npy", message);
        Assert.Contains("NaN", message);
    }

    [Fact]
    public void AMissingPartnerFileIsNamed()
    {
        using var dir = TestPaths.NewTempDir();
        Save(dir.File("input_ids_0001.npy"), HostTensor.FromArray(new long[] { 1, 2 }, [1, 2]));
        var e = Assert.Throws<InvalidInputException>(() => DataSet.Open(new DataOptions { Folder = dir.Path }, Bert));
        Assert.Contains("attention_mask_0001.npy", e.Message);
    }

    [Fact]
    public void AFileForAnInputTheModelDoesNotHaveSaysSoAndAFileNamedOtherwiseIsToldTheNaming()
    {
        using var dir = TestPaths.NewTempDir();
        var vad = Signature(("input", TensorElementType.Float, [-1, -1]), ("state", TensorElementType.Float, [2, -1, 128]));
        Save(dir.File("input_0000.npy"), HostTensor.Allocate(TensorElementType.Float, [1, 512]));
        Save(dir.File("state_0000.npy"), HostTensor.Allocate(TensorElementType.Float, [2, 1, 128]));
        Save(dir.File("sr_0000.npy"), HostTensor.FromArray(new long[] { 16000 }, []));
        var e = Assert.Throws<InvalidInputException>(() => DataSet.Open(new DataOptions { Folder = dir.Path }, vad));
        Assert.Contains("sr_0000.npy: 'sr' is not an input of the model (inputs: input, state)", e.Message);
        Assert.DoesNotContain("several inputs", e.Message);
        File.Delete(dir.File("sr_0000.npy"));
        Save(dir.File("extra.npy"), HostTensor.Allocate(TensorElementType.Float, [1, 512]));
        e = Assert.Throws<InvalidInputException>(() => DataSet.Open(new DataOptions { Folder = dir.Path }, vad));
        Assert.Contains("extra.npy: the model has several inputs (input, state); name files <input>_NNNN.npy", e.Message);
    }

    [Fact]
    public void SamplesAreReadOnlyWhenUsed()
    {
        using var dir = TestPaths.NewTempDir();
        Save(dir.File("a.npy"), HostTensor.Allocate(TensorElementType.Float, [1, 3, 224, 224]));
        File.WriteAllText(dir.File("b.npy"), "corrupt");
        var data = DataSet.Open(new DataOptions { Folder = dir.Path }, Image);
        using var samples = data.Read().GetEnumerator();
        Assert.True(samples.MoveNext()); // the corrupt second file has not been touched yet
        Assert.Contains("b.npy", Assert.Throws<InvalidInputException>(() => samples.MoveNext()).Message);
    }
}
