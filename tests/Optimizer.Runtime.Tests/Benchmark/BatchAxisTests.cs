using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using OrtType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Optimizer.Runtime.Tests.Benchmark;

/// <summary>
/// Batches of a model whose inputs hold the batch at different axes (a recurrent model's input [batch,4] and state
/// [2,batch,3]): the samples stack along each input's own batch axis, and an axis that cannot be known is named.
/// </summary>
public sealed class BatchAxisTests
{
    /// <summary>out[b] = Σ x[b,:] + Σ state[:,b,:], of shape [batch]: each row reads its own sample of both inputs.</summary>
    private static byte[] TwoInputModel(string xBatch = "batch", string stateBatch = "batch")
    {
        var g = new GraphBuilder();
        var x = g.Input("x", ElementType.Float, xBatch, 4);
        var state = g.Input("state", ElementType.Float, 2, stateBatch, 3);
        var fromX = g.Op("ReduceSum", [x, g.Initializer("ax", new long[] { 1 }, 1)], ("keepdims", 0L));
        var fromState = g.Op("ReduceSum", [state, g.Initializer("as", new long[] { 0, 2 }, 2)], ("keepdims", 0L));
        g.Output(g.Op("Add", [fromX, fromState]));
        return ModelWriter.ToBytes(g.Build());
    }

    private static ModelSignature SignatureOf(byte[] model)
    {
        using var session = SessionFactory.Create(model, "two inputs", SessionSettings.ForSpeed);
        return ModelSignature.Of(session);
    }

    private static TestTensor AsTest(HostTensor t) => new(ElementType.Float, t.Shape, t.AsSpan<float>().ToArray());

    private static double[] Run(byte[] model, IReadOnlyDictionary<string, HostTensor> inputs) =>
        OrtRunner.Run(model, inputs.ToDictionary(i => i.Key, i => AsTest(i.Value))).Values.Single().AsDoubles();

    [Fact]
    public void TheSecondInputsBatchAtAxisOneStacksThereAndEachRowMatchesItsSampleRunAlone()
    {
        var model = TwoInputModel();
        using var dir = TestPaths.NewTempDir();
        var random = new Random(7);
        float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        for (var i = 0; i < 4; i++)
        {
            AtomicFile.Write(dir.File($"x_{i:D4}.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(Floats(4), [1, 4])));
            AtomicFile.Write(dir.File($"state_{i:D4}.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(Floats(6), [2, 1, 3])));
        }
        var signature = SignatureOf(model);
        Assert.Equal([0, 1], signature.Inputs.Select(i => BatchAxes.Of(signature)[i.Name].Axis));
        BatchInputs.CheckBatchAxes(signature, [1, 4]);
        var data = new DataOptions { Folder = dir.Path };
        var batch = BatchInputs.Make(data, signature, 4);
        Assert.Equal([4L, 4], batch["x"].Shape);
        Assert.Equal([2L, 4, 3], batch["state"].Shape);
        var together = Run(model, batch);
        var alone = DataSet.Open(data, signature).Read().Select(s => Run(model, s.Inputs).Single()).ToArray();
        Assert.Equal(4, together.Length);
        for (var i = 0; i < 4; i++) Assert.Equal(alone[i], together[i], 5);
        // random inputs take the batch at the same axes, and the whole sweep runs in ONNX Runtime
        var random4 = BatchInputs.Make(new DataOptions(), signature, 4);
        Assert.Equal([2L, 4, 3], random4["state"].Shape);
        var path = dir.File("two_inputs.onnx");
        File.WriteAllBytes(path, model);
        var report = Benchmarker.Run(new BenchOptions { ModelPath = path, Data = data, Warmup = 1, Runs = 2, BatchSizes = [1, 4] });
        Assert.Equal([1, 4], report.Batches.Select(b => b.BatchSize));
    }

    [Fact]
    public void AScalarInputServesTheWholeBatchWhenTheSamplesAgreeOnIt()
    {
        // out[b] = Σ x[b,:] · sr, sr a scalar as a VAD's sample rate
        var g = new GraphBuilder();
        var x = g.Input("x", ElementType.Float, "batch", 4);
        var sr = g.Input("sr", ElementType.Int64);
        var sum = g.Op("ReduceSum", [x, g.Initializer("ax", new long[] { 1 }, 1)], ("keepdims", 0L));
        g.Output(g.Op("Mul", [sum, g.Op("Cast", [sr], ("to", (long)ElementType.Float))]));
        var model = ModelWriter.ToBytes(g.Build());
        using var dir = TestPaths.NewTempDir();
        for (var i = 0; i < 3; i++)
        {
            AtomicFile.Write(dir.File($"x_{i:D4}.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(new float[] { i, 1, 2, 3 }, [1, 4])));
            AtomicFile.Write(dir.File($"sr_{i:D4}.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(new long[] { 2 }, [])));
        }
        var signature = SignatureOf(model);
        Assert.True(BatchAxes.Of(signature)["sr"].Shared);
        BatchInputs.CheckBatchAxes(signature, [4]);
        var data = new DataOptions { Folder = dir.Path };
        var batch = BatchInputs.Make(data, signature, 3);
        Assert.Empty(batch["sr"].Shape);
        var run = OrtRunner.Run(model, new Dictionary<string, TestTensor>
        {
            ["x"] = AsTest(batch["x"]),
            ["sr"] = new(ElementType.Int64, [], batch["sr"].AsSpan<long>().ToArray()),
        }).Values.Single().AsDoubles();
        Assert.Equal([12.0, 14, 16], run);
        Assert.Empty(BatchInputs.Make(new DataOptions(), signature, 4)["sr"].Shape);
        // samples that disagree on it cannot share one run
        AtomicFile.Write(dir.File("sr_0002.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(new long[] { 3 }, [])));
        var e = Assert.Throws<InvalidInputException>(() => BatchInputs.Make(data, signature, 3));
        Assert.Contains("input 'sr' is a scalar, one value for the whole batch, but samples 0000 and 0002 give it different values", e.Message);
    }

    [Fact]
    public void AnAxisNamedBatchIsTakenEvenWithoutAnotherInputToShareItsName()
    {
        var signature = new ModelSignature([new TensorSpec("h", OrtType.Float, [2, -1, 3], ["", "batch_size", ""], true)], []);
        Assert.Equal(new BatchAxis(1, null), BatchAxes.Of(signature)["h"]);
    }

    [Fact]
    public void ASharedNameFindsTheAxisAndBatchWinsOverATimeMajorFirstAxis()
    {
        var signature = new ModelSignature(
        [
            new TensorSpec("x", OrtType.Float, [-1, 4], ["N", ""], true),
            new TensorSpec("h", OrtType.Float, [2, -1, 3], ["", "N", ""], true),
            new TensorSpec("steps", OrtType.Float, [-1, -1, 4], ["time", "batch", ""], true),
        ], []);
        var axes = BatchAxes.Of(signature);
        Assert.Equal([0, 1, 1], signature.Inputs.Select(i => axes[i.Name].Axis));
        Assert.All(axes.Values, a => Assert.Null(a.Unknown));
    }

    [Fact]
    public void ABatchAxisThatCannotBeKnownIsRefusedSayingWhy()
    {
        // x's first axis is 'n', the state's dynamic axis 'm': nothing says the state's batch is at axis 1
        var signature = SignatureOf(TwoInputModel("n", "m"));
        var e = Assert.Throws<InvalidInputException>(() => BatchInputs.CheckBatchAxes(signature, [1, 4]));
        Assert.Contains("batch size 4: input 'state' (float32[2,m,3]): its batch axis is not the first", e.Message);
        Assert.Contains("axis 1 ('m')", e.Message);
        Assert.Contains("'n'", e.Message);
        // batch 1 needs no batch axis
        BatchInputs.CheckBatchAxes(signature, [1]);
    }
}
