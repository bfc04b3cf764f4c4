using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>FP32 outputs held once for many candidates: the scores they give, and the memory they may take.</summary>
public sealed class ReferenceOutputsTests
{
    private static byte[] AddModel(float addend)
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 1000);
        b.Output(b.Op("Add", [x, b.Initializer("c", new[] { addend })]));
        return ModelWriter.ToBytes(b.Build());
    }

    private static IEnumerable<Sample> Samples(int count) => Enumerable.Range(0, count).Select(i =>
        new Sample($"{i}", $"sample {i}", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(Enumerable.Range(0, 1000).Select(j => (float)Math.Sin(i + j)).ToArray(), [1, 1000]) }));

    [Fact]
    public void TheSameModelIsExactAndAnotherOneScoresItsError()
    {
        var fp32 = AddModel(1f);
        var reference = ReferenceOutputs.Compute(fp32, Samples(5), SessionSettings.ForSpeed);
        Assert.Equal(5, reference.Count);
        Assert.Equal(1, reference.OutputCount);
        Assert.Equal(double.PositiveInfinity, ReferenceOutputs.WorstSqnr(reference.Compare(fp32, "same", SessionSettings.ForSpeed)));
        // outputs x + 1.1 against x + 1: error 0.1 everywhere on values of mean square about 1.5
        var sqnr = ReferenceOutputs.WorstSqnr(reference.Compare(AddModel(1.1f), "shifted", SessionSettings.ForSpeed));
        Assert.InRange(sqnr, 15, 25);
    }

    [Fact]
    public void SamplesStopOnceTheHeldBytesReachTheLimit()
    {
        var fp32 = AddModel(1f);
        // each sample holds 4,000 bytes of input and 4,000 of output: the second reaches 10,000, the third is not read
        var reference = ReferenceOutputs.Compute(fp32, Samples(5), SessionSettings.ForSpeed, maxHeldBytes: 10_000);
        Assert.Equal(2, reference.Count);
        // one sample is always kept, whatever it weighs
        Assert.Equal(1, ReferenceOutputs.Compute(fp32, Samples(5), SessionSettings.ForSpeed, maxHeldBytes: 1).Count);
    }
}
