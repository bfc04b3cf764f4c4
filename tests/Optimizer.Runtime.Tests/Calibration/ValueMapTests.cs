using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>
/// Tensors computed from an observed one by monotone element-wise steps: read through a map instead of exposed, with
/// the statistics ONNX Runtime's own values give.
/// </summary>
public sealed class ValueMapTests
{
    /// <summary>
    /// An exact GELU, h = x W + b; g = h * (erf(h / sqrt 2) + 1) * 0.5, with the tensors a quantizer asks for (h, the erf,
    /// the + 1, the product, the half), and beside it c - h, sigmoid, tanh, relu, clip and leaky relu of h.
    /// </summary>
    private static (byte[] Bytes, Dictionary<string, string> Names) Gelu()
    {
        var b = new GraphBuilder(opset: 13, seed: 3);
        var x = b.Input("x", ElementType.Float, 1, 16, 8);
        var h = b.Op("Add", [b.Op("MatMul", [x, b.RandomInitializer("w", 0.8f, 8, 8)]), b.RandomInitializer("bias", 0.5f, 8)]);
        var d = b.Op("Div", [h, b.Initializer("sqrt2", new[] { 1.4142135f })]);
        var erf = b.Op("Erf", [d]);
        var plus = b.Op("Add", [erf, b.Constant(Tensor.Scalar("one", 1f))]);
        var product = b.Op("Mul", [h, plus]);
        var half = b.Op("Mul", [product, b.Initializer("half", new[] { 0.5f })]);
        var flipped = b.Op("Sub", [b.Initializer("three", new[] { 3f }), h]);
        var sigmoid = b.Op("Sigmoid", [flipped]);
        var tanh = b.Op("Tanh", [h]);
        var relu = b.Op("Relu", [h]);
        var clip = b.Op("Clip", [h, b.Initializer("lo", new[] { -0.5f }), b.Initializer("hi", new[] { 0.75f })]);
        var leaky = b.Op("LeakyRelu", [h], ("alpha", 0.1f));
        b.Output(half, sigmoid, tanh, relu, clip, leaky);
        var names = new Dictionary<string, string>
        {
            ["h"] = h.Name, ["erf"] = erf.Name, ["plus"] = plus.Name, ["product"] = product.Name, ["half"] = half.Name,
            ["sigmoid"] = sigmoid.Name, ["tanh"] = tanh.Name, ["relu"] = relu.Name, ["clip"] = clip.Name, ["leaky"] = leaky.Name,
        };
        return (ModelWriter.ToBytes(b.Build()), names);
    }

    [Fact]
    public void AnExactGelusStepsAreReadThroughItsInputAndProduct()
    {
        var (bytes, n) = Gelu();
        var asked = n.Values.ToList();
        var model = ObservedModel.Prepare(bytes, asked, _ => true);
        // two tensors fetched: h (every map starts there but the half's) and the product (not monotone in h)
        Assert.Equal([n["h"], n["product"]], model.Outputs);
        Assert.Equal(n["h"], model.Sources[n["plus"]]);
        Assert.Equal("/ 1.4142135, erf, + 1", model.Maps[n["plus"]].ToString());
        Assert.Equal(n["product"], model.Sources[n["half"]]);
        Assert.False(ValueMapFor(model, n["sigmoid"]).Increasing);
        Assert.All(asked, name => Assert.Contains(model.Sources[name], model.Outputs));

        // without maps every one is fetched, and with maps refused by the predicate too
        Assert.Equal(asked.Count, ObservedModel.Prepare(bytes, asked).Outputs.Count);
        var odd = ObservedModel.Prepare(bytes, asked, m => m.Odd);
        Assert.Equal(n["h"], odd.Sources[n["tanh"]]);
        Assert.Equal(n["relu"], odd.Sources[n["relu"]]);
        Assert.Equal(n["plus"], odd.Sources[n["plus"]]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StatisticsThroughAMapAreThoseOfTheValuesOnnxRuntimeComputes(bool symmetric)
    {
        var (bytes, n) = Gelu();
        var asked = n.Values.ToList();
        var samples = Enumerable.Range(0, 6).Select(i =>
        {
            var rng = new Random(i);
            // small enough that erf, tanh and sigmoid are far from saturating: a wrong step shows
            var values = Enumerable.Range(0, 128).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            return new Sample($"s{i}", $"s{i}", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(values, [1, 16, 8]) });
        }).ToList();
        // through maps (no histogram) against every tensor fetched (a histogram kept turns maps off)
        var mapped = Calibrator.Collect(bytes, asked, samples, new CalibrationSettings { AlsoRead = [CalibrationMethod.Percentile], Percentile = 99.9, Symmetric = symmetric });
        var fetched = Calibrator.Collect(bytes, asked, samples, new CalibrationSettings { AlsoRead = [CalibrationMethod.Percentile], Percentile = 99.9, Symmetric = symmetric, KeepHistograms = true });
        foreach (var name in asked)
        {
            var (a, b) = (mapped.Tensors[name], fetched.Tensors[name]);
            Assert.Equal(b.Count, a.Count);
            // the same float operations bit for bit, or ONNX Runtime's erf/tanh/sigmoid within a few units in the last place
            Assert.Equal(b.Min, a.Min, 1e-6f);
            Assert.Equal(b.Max, a.Max, 1e-6f);
            foreach (var method in new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile })
            {
                var (ra, rb) = (mapped.Ranges(method, 99.9, symmetric)[name], fetched.Ranges(method, 99.9, symmetric)[name]);
                Assert.Equal(rb.Min, ra.Min, 1e-6f);
                Assert.Equal(rb.Max, ra.Max, 1e-6f);
            }
        }
        Assert.False(mapped.Tensors[n["relu"]].HasHistogram);
    }

    [Fact]
    public void StepsThatAreNotMonotoneOrWhoseConstantCanChangeAreDeclined()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 2, 4);
        // c / x has a pole; a 4-element constant is not one step for every element; a scalar that is also a graph
        // input can be fed another value; Abs is not monotone; x * 0 forgets x
        var over = b.Op("Div", [b.Initializer("c", new[] { 2f }), x]);
        var perColumn = b.Op("Mul", [x, b.Initializer("cols", new[] { 1f, 2, 3, 4 }, 4)]);
        var overridable = b.Initializer("k", new[] { 2f });
        b.Graph.AddInputValue(overridable);
        var fed = b.Op("Mul", [x, overridable]);
        var abs = b.Op("Abs", [x]);
        var zero = b.Op("Mul", [x, b.Initializer("zero", new[] { 0f })]);
        b.Output(over, perColumn, fed, abs, zero);
        var bytes = ModelWriter.ToBytes(b.Build());
        string[] asked = ["x", over.Name, perColumn.Name, fed.Name, abs.Name, zero.Name];
        var model = ObservedModel.Prepare(bytes, asked, _ => true);
        Assert.All(asked, name => Assert.Equal(name, model.Sources[name]));
        Assert.All(asked, name => Assert.True(model.Maps[name].IsIdentity));
    }

    [Fact]
    public void TailsThroughADecreasingMapSwapTheirSidesExactly()
    {
        var rng = new Random(9);
        var values = Enumerable.Range(0, 50_000).Select(_ => (float)(rng.NextDouble() * 10 - 4)).ToArray();
        var tails = new TailValues(1e-3, absolute: false);
        tails.Add(values);
        var map = MapOf("Sub", 3f, dataFirst: false);
        Assert.False(map.Increasing);
        var through = tails.Through(map);
        var image = values.Select(v => 3f - v).Order().ToArray();
        for (var r = 1; r <= 50; r++)
        {
            Assert.Equal(image[^r], (float)through.Largest(r));
            Assert.Equal(image[r - 1], (float)through.Smallest(r));
        }
        Assert.Equal(image[^1], through.Max);
        Assert.Equal(image[0], through.Min);
        Assert.Throws<InvalidOperationException>(() => new TailValues(1e-3, absolute: true).Through(MapOf("Add", 1f, dataFirst: true)));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.6, 0.9997639655834707)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    public void ErfMatchesItsTabulatedValues(double x, double expected) =>
        Assert.Equal(expected, ValueMap.Erf.Of(x), 1e-12);

    private static ValueMap ValueMapFor(ObservedModel model, string name) => model.Maps[name];

    private static ValueMap MapOf(string op, float constant, bool dataFirst)
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 4);
        var c = b.Initializer("c", new[] { constant });
        var y = b.Op(op, dataFirst ? [x, c] : [c, x]);
        return ValueMap.Of(y.Producer!, x)!;
    }
}
