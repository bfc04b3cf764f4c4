using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// An initializer that is also a graph input (IR 4 and later) is a default the caller may override: no pass may
/// treat it as a constant. Each model goes through the default pipeline with every overridable initializer fed a
/// different value (floats scaled and shifted; integers, often shapes, fed as they are) and must give the outputs
/// the input model gives with the same feeds. Written models must keep ONNX's IR 3 rule (every initializer of the
/// main graph listed among the inputs).
/// </summary>
public sealed class OverridableInitializerTests(ITestOutputHelper output)
{
    private static string FuzzRepro(string file) => Path.GetFullPath(Path.Combine(TestPaths.SharedModels, "..", "fuzz-repro", "silent", file));

    [Theory]
    [InlineData("overridable_ir8.onnx")]
    [InlineData("overridable_bn_ir8.onnx")]
    public void FuzzFoundModelsKeepTheirOverridesThroughThePipeline(string file)
    {
        var path = FuzzRepro(file);
        var model = ModelReader.Read(path);
        Assert.Contains(model.Graph.Initializers, v => v.IsOverridable);
        var error = OptimizeAndCompareWithOverrides(File.ReadAllBytes(path), model);
        Assert.True(error <= 1e-4, $"{file}: relative error {error:E2} with the overridable initializers fed");
    }

    [Theory]
    [InlineData("overridable_ir3.onnx")]
    [InlineData("test_Linear_no_bias_ir3.onnx")]
    public void Ir3ModelsComeOutWithEveryInitializerListedAsAnInput(string file)
    {
        var model = ModelReader.Read(FuzzRepro(file));
        Assert.True(model.IrVersion < 4);
        Pipelines.RunDefault(model);
        var written = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(model)), null);
        Assert.Equal(model.IrVersion, written.IrVersion);
        Assert.Empty(CheckerRules(written));
        var inputs = OrtRunner.SeededInputs(written);
        Assert.True(OrtRunner.RelativeError(Flat(OrtRunner.Run(File.ReadAllBytes(FuzzRepro(file)), inputs)), Flat(OrtRunner.Run(written, inputs))) <= 1e-4);
    }

    [Fact]
    public void Ir3SubgraphConstantsAreWrittenAsConstantNodes()
    {
        var branch = new Graph("then_branch");
        branch.AddOutput(branch.AddInitializer(Tensor.FromArray("branch_constant", new[] { 2f }, 1)));
        var holder = new Graph("main");
        var cond = holder.AddInput("cond", new TensorTypeInfo(ElementType.Bool, new Shape(Array.Empty<long>())));
        var node = holder.AddNode("If", [cond], ["y"], [Onnx.IR.Attribute.FromGraph("then_branch", branch), Onnx.IR.Attribute.FromGraph("else_branch", CloneBranch())]);
        holder.AddOutput(node.Output());
        var ifModel = new Model(holder) { IrVersion = 3 };
        ifModel.SetOpset("", 11);
        var reread = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(ifModel)), null);
        var then = reread.Graph.Nodes[0].Subgraphs.First();
        Assert.Empty(then.Initializers);
        Assert.Equal("Constant", Assert.Single(then.Nodes).OpType);
        var result = OrtRunner.Run(reread, new Dictionary<string, TestTensor> { ["cond"] = new(ElementType.Bool, [], new[] { true }) });
        Assert.Equal(2f, ((float[])result["y"].Data)[0]);
    }

    [Fact]
    public void BackendSuiteModelsWithEveryInitializerOverridableKeepTheirOutputs()
    {
        int compared = 0, rejected = 0;
        var failures = new List<string>();
        foreach (var path in TestPaths.BackendModels())
        {
            Model model;
            Dictionary<string, TestTensor>? inputs;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
            }
            catch (Exception e) when (e is NotSupportedException or Onnx.Errors.OptimizerException) { continue; } // string data, unreadable
            if (inputs is null) continue;
            // Constant nodes become initializers first, so the models' constants are all overridable (IR 4+) or,
            // before IR 4, listed as inputs and still constant: both kinds must come out right.
            new Passes.Cleanup.ConstantsToInitializers().Run(model, new Passes.Infrastructure.PassContext());
            // String tensors have no numeric feed in the test kit.
            if (model.Graph.Initializers.Count == 0 || model.Graph.Initializers.Any(v => v.ElementType == ElementType.String)) continue;
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            try
            {
                var error = OptimizeAndCompareWithOverrides(MakeOverridable(model), model, inputs);
                if (!(error <= 1e-4)) failures.Add($"{name}: relative error {error:E2}");
                compared++;
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException) { rejected++; }
        }
        output.WriteLine($"{compared} backend models with initializers compared, {rejected} not runnable in ONNX Runtime; {failures.Count} failures");
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(compared >= 130, $"only {compared} backend models with initializers were compared");
        Assert.Empty(failures);
    }

    public static IEnumerable<object[]> SharedModels() =>
        new[] { "squeezenet1_1.onnx", "mobilenet_v2_bn.onnx", "bert_mini.onnx", "silero_vad_legacy.onnx" }.Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(SharedModels))]
    public void SharedModelsWithEveryInitializerOverridableKeepTheirOutputs(string file)
    {
        var model = ModelReader.Read(TestPaths.SharedModel(file));
        var before = MakeOverridable(model);
        var seeded = OrtRunner.SeededInputs(model, dimValues: new Dictionary<string, long> { ["batch"] = 1, ["seq"] = 8, ["sequence"] = 512 });
        if (seeded.ContainsKey("sr")) seeded["sr"] = new TestTensor(ElementType.Int64, [], new long[] { 16000 });
        var error = OptimizeAndCompareWithOverrides(before, model, seeded);
        output.WriteLine($"{file}: {model.Graph.Inputs.Count(v => v.IsOverridable)} overridable initializers, relative error {error:E2}");
        Assert.True(error <= 1e-4, $"{file}: relative error {error:E2}");
    }

    /// <summary>Lists every initializer of the main graph among its inputs (IR 4+: each becomes overridable); returns the model's bytes.</summary>
    /// <remarks>Before IR 4 the listing is what the version requires, and they stay constants (fed nothing).</remarks>
    private static byte[] MakeOverridable(Model model)
    {
        foreach (var v in model.Graph.Initializers.Where(v => !v.IsGraphInput).ToList()) model.Graph.AddInputValue(v);
        return ModelWriter.ToBytes(model);
    }

    /// <summary>Runs the pipeline on <paramref name="model"/> and compares it with <paramref name="before"/> with the overrides fed.</summary>
    private static double OptimizeAndCompareWithOverrides(byte[] before, Model model, Dictionary<string, TestTensor>? inputs = null)
    {
        inputs ??= OrtRunner.SeededInputs(model);
        foreach (var v in model.Graph.Inputs.Where(v => v.IsOverridable))
            inputs[v.Name] = Perturbed(v.Initializer!);
        Pipelines.RunDefault(model);
        var bytes = ModelWriter.ToBytes(model);
        Assert.Empty(CheckerRules(ModelReader.Read(new MemoryStream(bytes), null)));
        var expected = OrtRunner.Run(before, inputs);
        var actual = OrtRunner.Run(bytes, inputs);
        var worst = 0.0;
        foreach (var (name, e) in expected)
            worst = Math.Max(worst, OrtRunner.RelativeError(e.AsDoubles(), actual[name].AsDoubles()));
        return worst;
    }

    private static TestTensor Perturbed(Tensor t)
    {
        var tensor = TestTensor.FromTensor(t);
        return tensor.Data is float[] f ? tensor with { Data = f.Select(x => x * 1.5f + 0.25f).ToArray() } : tensor;
    }

    private static double[] Flat(Dictionary<string, TestTensor> outputs) => outputs.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value.AsDoubles()).ToArray();

    /// <summary>The ONNX checker rules about initializers and inputs this project checks itself.</summary>
    private static IReadOnlyList<string> CheckerRules(Model model) => Onnx.Verification.ModelVerifier.VerifyCheckerRules(model);

    private static Graph CloneBranch()
    {
        var g = new Graph("else_branch");
        var c = g.AddInitializer(Tensor.FromArray("else_constant", new[] { 3f }, 1));
        g.AddOutput(c);
        return g;
    }
}
