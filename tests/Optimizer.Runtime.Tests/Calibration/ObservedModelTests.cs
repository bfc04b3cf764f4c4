using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>What one calibration run observes: tensors that only rearrange another one are read through it.</summary>
public sealed class ObservedModelTests
{
    // x -> Relu -> r -> Reshape -> s -> Transpose -> t -> Mul(2) -> out
    private static (byte[] Bytes, string R, string S, string T, string Out) Chain()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 4, 6);
        var r = b.Op("Relu", [x]);
        var s = b.Op("Reshape", [r, b.Initializer("shape", new long[] { 1, 6, 4 }, 3)]);
        var t = b.Op("Transpose", [s], ("perm", new long[] { 0, 2, 1 }));
        var o = b.Op("Mul", [t, b.Initializer("two", new[] { 2f })]);
        b.Output(o);
        return (ModelWriter.ToBytes(b.Build()), r.Name, s.Name, t.Name, o.Name);
    }

    [Fact]
    public void WhenEveryObservedTensorIsAGraphInputTheSamplesAloneAreFolded()
    {
        // x -> Reshape -> y -> MatMul(w): the MatMul's input is x's values; nothing needs fetching from a run
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 2, 3);
        var y = b.Op("Reshape", [x, b.Initializer("shape", new long[] { 3, 2 }, 2)]);
        b.Output(b.Op("MatMul", [y, b.Initializer("w", new float[] { 1, 2, 3, 4 }, 2, 2)]));
        var bytes = ModelWriter.ToBytes(b.Build());
        float[] values = [-3f, 1f, 2f, 0.5f, 7f, -1f];
        var sample = new Sample("0", "sample 0", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(values, [2, 3]) });

        var stats = Calibrator.Collect(bytes, [y.Name], [sample], new CalibrationSettings());

        Assert.Equal(-3f, stats.Tensors[y.Name].Min);
        Assert.Equal(7f, stats.Tensors[y.Name].Max);
        Assert.Equal(6, stats.Tensors[y.Name].Count);
    }

    [Fact]
    public void ReshapeAndTransposeOutputsAreObservedThroughTheirSource()
    {
        var (bytes, r, s, t, o) = Chain();
        var model = ObservedModel.Prepare(bytes, [s, t, o]);
        // s and t hold r's values: r is the one output fetched for both
        Assert.Equal([r, o], model.Outputs);
        Assert.Equal(r, model.Sources[s]);
        Assert.Equal(r, model.Sources[t]);
        Assert.Equal(o, model.Sources[o]);
    }

    [Fact]
    public void ATensorReadThroughItsSourceGetsTheSourcesStatisticsUnderItsOwnName()
    {
        var (bytes, r, s, t, o) = Chain();
        var values = Enumerable.Range(0, 24).Select(i => (i - 10) * 0.25f).ToArray();
        var sample = new Sample("0", "sample 0", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(values, [1, 4, 6]) });
        var stats = Calibrator.Collect(bytes, [t, r, o], [sample], new CalibrationSettings { Method = CalibrationMethod.Percentile, Bins = 128 });

        Assert.Equal([t, r, o], stats.Order.Select(x => x.Name));
        var relu = values.Select(v => Math.Max(v, 0f)).ToArray();
        Assert.Equal(0f, stats.Tensors[t].Min);
        Assert.Equal(relu.Max(), stats.Tensors[t].Max);
        Assert.Equal(24, stats.Tensors[t].Count);
        Assert.Equal(stats.Tensors[r].Histogram.Counts.ToArray(), stats.Tensors[t].Histogram.Counts.ToArray());
        Assert.Equal(stats.Tensors[r].Histogram.Limit, stats.Tensors[t].Histogram.Limit);
        Assert.Equal(2 * relu.Max(), stats.Tensors[o].Max);
        // a copy, not the same object: the names differ
        Assert.NotSame(stats.Tensors[r], stats.Tensors[t]);
    }

    [Fact]
    public void MinMaxSkipsTheHistogramsAndRefusesHistogramMethodsAfterwards()
    {
        var (bytes, r, _, _, o) = Chain();
        var values = Enumerable.Range(0, 24).Select(i => (i - 10) * 0.25f).ToArray();
        var sample = new Sample("0", "sample 0", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(values, [1, 4, 6]) });
        var bare = Calibrator.Collect(bytes, [r, o], [sample], new CalibrationSettings { Method = CalibrationMethod.MinMax, Bins = 128 });
        Assert.False(bare.Tensors[r].HasHistogram);
        Assert.All(bare.Order, x => Assert.Equal(0, x.Histogram.Counts.ToArray().Sum()));
        Assert.Equal(new TensorRange(o, 0f, 2 * values.Max()), bare.Ranges(CalibrationMethod.MinMax)[o]);
        Assert.Throws<InvalidOperationException>(() => bare.Ranges(CalibrationMethod.Percentile));

        var kept = Calibrator.Collect(bytes, [r, o], [sample], new CalibrationSettings { Method = CalibrationMethod.MinMax, Bins = 128, KeepHistograms = true });
        Assert.Equal(24, kept.Tensors[r].Histogram.Counts.ToArray().Sum());
    }
}
