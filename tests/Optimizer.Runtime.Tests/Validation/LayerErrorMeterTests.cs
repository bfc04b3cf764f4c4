using System.Reflection;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

public sealed class LayerErrorMeterTests
{
    private static readonly Dictionary<string, (string Node, string OpType)> NoNames = [];

    // W is 4x3; the "quantized" copy adds Delta to it.
    private static readonly float[] W = [0.5f, -1f, 0.25f, 2f, 0.75f, -0.5f, -1.5f, 1f, 0.125f, 0.25f, -0.25f, 1.25f];
    private static readonly float[] Delta = [0.01f, 0f, -0.02f, 0f, 0.03f, 0f, 0f, -0.01f, 0.02f, 0.05f, 0f, 0f];

    private static readonly float[][] Inputs = [[1f, 2f, -3f, 0.5f], [-0.5f, 1.5f, 2f, -1f], [0.25f, -2f, 1f, 3f]];

    /// <summary>y = x·W, r = Relu(y) (the graph output), s = Shape(y) (int64); the values keep their types unset.</summary>
    private sealed record Linear(byte[] Bytes, string Y, string R, string S, string MatMulNode);

    private static Linear Model(float[] w, bool withShape = true)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var y = b.Op("MatMul", [x, b.Initializer("W", w, 4, 3)]);
        var r = b.Op("Relu", [y]);
        b.Output(r);
        var s = "";
        if (withShape)
        {
            var shape = b.Op("Shape", [y]);
            b.Output(shape);
            s = shape.Name;
        }
        return new Linear(ModelWriter.ToBytes(b.Build()), y.Name, r.Name, s, y.Producer!.Name);
    }

    private static float[] Plus(float[] a, float[] b, float scale = 1) => a.Select((v, i) => v + scale * b[i]).ToArray();

    private static Sample SampleOf(float[] x, int i) => new($"s{i}", $"sample {i}", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(x, [1, 4]) });

    private static IEnumerable<Sample> Samples() => Inputs.Select(SampleOf);

    /// <summary>x·W computed here, in double, for the expected values.</summary>
    private static double[] Times(float[] x, float[] w) =>
        Enumerable.Range(0, 3).Select(j => Enumerable.Range(0, 4).Sum(k => (double)x[k] * w[k * 3 + j])).ToArray();

    [Fact]
    public void SqnrCosineAndMaxAbsMatchTheArraysWorkedOutByHand()
    {
        var fp32 = Model(W);
        var quantized = Model(Plus(W, Delta));
        var errors = LayerErrorMeter.Measure(fp32.Bytes, quantized.Bytes, [fp32.Y, fp32.R], NoNames, Samples());

        foreach (var (value, relu) in new[] { (fp32.Y, false), (fp32.R, true) })
        {
            double signal = 0, noise = 0, dot = 0, power = 0, maxAbs = 0;
            foreach (var x in Inputs)
            {
                var r = Times(x, W);
                var q = Times(x, Plus(W, Delta));
                for (var j = 0; j < 3; j++)
                {
                    var (a, b) = relu ? (Math.Max(0, r[j]), Math.Max(0, q[j])) : (r[j], q[j]);
                    signal += a * a;
                    noise += (b - a) * (b - a);
                    dot += a * b;
                    power += b * b;
                    maxAbs = Math.Max(maxAbs, Math.Abs(b - a));
                }
            }
            var e = errors.Single(e => e.Value == value);
            Assert.Equal(10 * Math.Log10(signal / noise), e.SqnrDb, 3);
            Assert.Equal(dot / Math.Sqrt(signal * power), e.Cosine, 6);
            Assert.Equal(maxAbs, e.MaxAbs, 5);
            Assert.Equal(9, e.Elements);
            Assert.True(e.SqnrDb is > 20 and < 60, $"{value}: {e.SqnrDb} dB");
        }
        var matmul = errors.Single(e => e.Value == fp32.Y);
        Assert.Equal((fp32.MatMulNode, "MatMul"), (matmul.Node, matmul.OpType)); // named after its producer when nodes does not list it
    }

    [Fact]
    public void IdenticalModelsHaveInfiniteSqnrAndCosineOne()
    {
        var fp32 = Model(W);
        var errors = LayerErrorMeter.Measure(fp32.Bytes, fp32.Bytes, [fp32.Y, fp32.R], NoNames, Samples());
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal((double.PositiveInfinity, 1.0, 0.0, 9L), (e.SqnrDb, e.Cosine, e.MaxAbs, e.Elements)));
        // the report formats keep the infinity: Markdown as "inf", JSON as a named literal
        Assert.Contains("| inf |", LayerErrorTable.Markdown(errors));
        Assert.Contains("\"sqnrDb\": \"Infinity\"", ReportJson.Serialize(errors[0]));
    }

    [Fact]
    public void TheWorstLayerComesFirst()
    {
        // three parallel layers: a gets a large error, b a small one, c none
        static (byte[] Bytes, string[] Values) Branches(float bigError, float smallError)
        {
            var b = new GraphBuilder();
            var x = b.Input("x", ElementType.Float, 1, 4);
            var a = b.Op("MatMul", [x, b.Initializer("Wa", Plus(W, Delta, bigError), 4, 3)]);
            var s = b.Op("MatMul", [x, b.Initializer("Wb", Plus(W, Delta, smallError), 4, 3)]);
            var c = b.Op("Relu", [x]);
            b.Output(b.Op("Concat", [a, s, c], ("axis", 1)));
            return (ModelWriter.ToBytes(b.Build()), [c.Name, s.Name, a.Name]);
        }
        var (fp32, values) = Branches(0, 0);
        var (quantized, _) = Branches(10, 0.1f);
        var nodes = new Dictionary<string, (string Node, string OpType)> { [values[0]] = ("relu_c", "Relu"), [values[1]] = ("small", "MatMul"), [values[2]] = ("large", "MatMul") };

        var errors = LayerErrorMeter.Measure(fp32, quantized, values, nodes, Samples());

        Assert.Equal(["large", "small", "relu_c"], errors.Select(e => e.Node));
        Assert.True(errors[0].SqnrDb < errors[1].SqnrDb && double.IsPositiveInfinity(errors[2].SqnrDb));
        Assert.True(errors[0].Cosine < errors[1].Cosine);
    }

    [Fact]
    public void ValuesMissingFromEitherModelOrNotFloatAreSkipped()
    {
        var fp32 = Model(W);
        var quantized = Model(Plus(W, Delta), withShape: false);
        var errors = LayerErrorMeter.Measure(fp32.Bytes, quantized.Bytes, [fp32.S, "no_such_value", "x", "W", fp32.Y], NoNames, Samples());
        // Shape's output is int64 and missing in the quantized model; x and W are no node's outputs
        Assert.Equal([fp32.Y], errors.Select(e => e.Value));
        Assert.Empty(LayerErrorMeter.Measure(fp32.Bytes, fp32.Bytes, [fp32.S], NoNames, Samples()));
    }

    [Fact]
    public void StatisticsArePerValueScalarsAndSamplesAreStreamed()
    {
        // per value only sums: no field that could hold a sample's tensor or a list of samples
        var fields = typeof(LayerErrorStats).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        Assert.NotEmpty(fields);
        Assert.All(fields, f => Assert.True(f.FieldType == typeof(double) || f.FieldType == typeof(long), $"{f.Name} is {f.FieldType.Name}"));

        // one sample object whose tensor is overwritten before each next one: right only if each sample is
        // measured before the next is asked for, and the enumeration runs once
        var fp32 = Model(W);
        var quantized = Model(Plus(W, Delta));
        var enumerations = 0;
        IEnumerable<Sample> Reused()
        {
            enumerations++;
            var sample = SampleOf(Inputs[0], 0);
            foreach (var x in Inputs)
            {
                x.CopyTo(sample.Inputs["x"].AsSpan<float>());
                yield return sample;
            }
        }
        var streamed = LayerErrorMeter.Measure(fp32.Bytes, quantized.Bytes, [fp32.Y], NoNames, Reused());
        var separate = LayerErrorMeter.Measure(fp32.Bytes, quantized.Bytes, [fp32.Y], NoNames, Samples());
        Assert.Equal(1, enumerations);
        Assert.Equal(separate, streamed);
    }

    [Fact]
    public void ARunTimeErrorOfOnnxRuntimeBecomesInvalidInput()
    {
        var fp32 = Model(W);
        var wrong = new Sample("bad", "bad sample", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(new float[5], [1, 5]) });
        var e = Assert.Throws<InvalidInputException>(() => LayerErrorMeter.Measure(fp32.Bytes, fp32.Bytes, [fp32.Y], NoNames, [wrong]));
        Assert.StartsWith("bad sample: FP32 model failed to run on this sample:", e.Message);
        Assert.DoesNotContain("[ErrorCode", e.Message);

        Assert.Throws<InvalidInputException>(() => LayerErrorMeter.Measure(fp32.Bytes, fp32.Bytes, [fp32.Y], NoNames, []));
    }
}
