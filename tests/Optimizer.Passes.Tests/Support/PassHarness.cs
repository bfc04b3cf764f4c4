using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Onnx.Verification;
using Optimizer.Passes.Infrastructure;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Support;

/// <summary>
/// Runs passes the way every pass test does: verifier after each pass, the model written and read back after the
/// run (so the result is a valid file), and ONNX Runtime (optimizations off) before and after on seeded inputs.
/// </summary>
public sealed class PassHarness
{
    private readonly byte[] _before;

    private PassHarness(Model model, PassContext context, IReadOnlyList<PassRecord> records, byte[] before)
    {
        Model = model;
        Context = context;
        Records = records;
        _before = before;
    }

    public Model Model { get; }

    public PassContext Context { get; }

    public IReadOnlyList<PassRecord> Records { get; }

    /// <summary>The model as it was before the passes, serialized.</summary>
    public byte[] Before => _before;

    public IReadOnlyList<PassDecline> Declines => Context.Diagnostics.Declines;

    public static PassHarness Run(Model model, params IPass[] passes) => Run(model, new PassOptions(), passes);

    public static PassHarness Run(Model model, PassOptions options, params IPass[] passes)
    {
        var before = ModelWriter.ToBytes(model);
        var context = new PassContext(options with { Verify = true });
        var records = PassRunner.Run(model, passes, context);
        Assert.Empty(ModelVerifier.Verify(model));
        var bytes = ModelWriter.ToBytes(model);
        using var stream = new MemoryStream(bytes);
        var reread = ModelReader.Read(stream, null);
        Assert.Equal(OpSequence(model), OpSequence(reread));
        return new PassHarness(model, context, records, before);
    }

    /// <summary>The main graph's op types in order, comma-separated.</summary>
    public static string OpSequence(Model model) => string.Join(",", model.Graph.Nodes.Select(n => n.OpType));

    public string Ops => OpSequence(Model);

    /// <summary>The largest relative error between the model before and after, on seeded inputs.</summary>
    public double MaxRelativeError(int seed = 42, IReadOnlyDictionary<string, TestTensor>? inputs = null)
    {
        inputs ??= OrtRunner.SeededInputs(Model, seed);
        var expected = OrtRunner.Run(_before, inputs);
        var actual = OrtRunner.Run(Model, inputs);
        var worst = 0.0;
        foreach (var (name, e) in expected)
        {
            Assert.True(actual.TryGetValue(name, out var a), $"output '{name}' is missing after the passes");
            Assert.Equal(e.Dims, a!.Dims);
            worst = Math.Max(worst, OrtRunner.RelativeError(e.AsDoubles(), a.AsDoubles()));
        }
        return worst;
    }

    /// <summary>Asserts the outputs match within <paramref name="tolerance"/> (relative to the largest magnitude).</summary>
    public void AssertSameOutputs(double tolerance = 1e-5, int seed = 42) =>
        Assert.InRange(MaxRelativeError(seed), 0, tolerance);

    /// <summary>Asserts a decline was recorded whose reason contains <paramref name="text"/>.</summary>
    public void AssertDeclined(string text) =>
        Assert.Contains(Declines, d => d.Reason.Contains(text, StringComparison.Ordinal));
}
