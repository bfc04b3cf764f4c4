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

    /// <summary>Backend-suite models with initializers that are not compared, with the reason.</summary>
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .Add("ONNX Runtime has no CPU kernel for BatchNormalization(6)",
            "test_BatchNorm1d_3d_input_eval", "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval", "test_BatchNorm3d_eval",
            "test_BatchNorm3d_momentum_eval")
        .Add("ONNX Runtime has no CPU kernel for Gemm(6)",
            "test_Linear", "test_operator_mm")
        .Add("ONNX Runtime has no CPU kernel for PRelu(6)",
            "test_PReLU_1d", "test_PReLU_1d_multiparam", "test_PReLU_2d", "test_PReLU_2d_multiparam", "test_PReLU_3d", "test_PReLU_3d_multiparam")
        .Add("ONNX Runtime has no CPU kernel for Mul(6)",
            "test_PoissonNLLLLoss_no_reduce")
        .Add("ONNX Runtime has no CPU kernel for Add(6)",
            "test_Softsign", "test_operator_addconstant", "test_operator_non_float_params", "test_operator_params")
        .Add("the test kit does not hold string or bfloat16 tensors",
            "test_cast_STRING_to_FLOAT", "test_castlike_FLOAT_to_STRING", "test_castlike_FLOAT_to_STRING_expanded", "test_castlike_STRING_to_FLOAT",
            "test_castlike_STRING_to_FLOAT_expanded", "test_strnorm_model_monday_casesensintive_lower",
            "test_strnorm_model_monday_casesensintive_nochangecase", "test_strnorm_model_monday_casesensintive_upper",
            "test_strnorm_model_monday_empty_output", "test_strnorm_model_monday_insensintive_upper_twodim",
            "test_strnorm_model_nostopwords_nochangecase", "test_strnormalizer_export_monday_casesensintive_lower",
            "test_strnormalizer_export_monday_casesensintive_nochangecase", "test_strnormalizer_export_monday_casesensintive_upper",
            "test_strnormalizer_export_monday_empty_output", "test_strnormalizer_export_monday_insensintive_upper_twodim",
            "test_strnormalizer_nostopwords_nochangecase")
        .Add("sequence or optional input files: the tensor reader refuses them (their bytes read as a TensorProto give absurd dims)",
            "test_identity_opt", "test_loop13_seq", "test_loop16_seq_none", "test_optional_get_element", "test_optional_get_element_sequence",
            "test_optional_has_element", "test_optional_has_element_empty", "test_sequence_insert_at_back", "test_sequence_insert_at_front",
            "test_sequence_map_extract_shapes", "test_sequence_map_extract_shapes_expanded")
        .Add("sequence inputs or outputs: the test kit runs tensors only",
            "test_sequence_map_add_1_sequence_1_tensor_expanded", "test_sequence_map_add_2_sequences_expanded",
            "test_sequence_map_identity_1_sequence_1_tensor_expanded", "test_sequence_map_identity_1_sequence_expanded",
            "test_sequence_map_identity_2_sequences_expanded");

    [Fact]
    public void BackendSuiteModelsWithEveryInitializerOverridableKeepTheirOutputs()
    {
        int withoutInitializers = 0;
        var failed = new Dictionary<string, string>();
        var compared = new List<string>();
        foreach (var path in TestPaths.BackendModels())
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                // Constant nodes become initializers first, so the models' constants are all overridable (IR 4+) or,
                // before IR 4, listed as inputs and still constant: both kinds must come out right.
                new Passes.Cleanup.ConstantsToInitializers().Run(model, new Passes.Infrastructure.PassContext());
            }
            catch (Exception e)
            {
                failed[name] = $"before the passes: {e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";
                continue;
            }
            if (model.Graph.Initializers.Count == 0)
            {
                withoutInitializers++; // nothing to override
                continue;
            }
            if (inputs is null)
            {
                failed[name] = "no test_data_set_0 inputs";
                continue;
            }
            // String tensors have no numeric feed in the test kit.
            if (model.Graph.Initializers.Any(v => v.ElementType == ElementType.String))
            {
                failed[name] = "string initializers";
                continue;
            }
            try
            {
                var error = OptimizeAndCompareWithOverrides(MakeOverridable(model), model, inputs);
                if (error <= 1e-4) compared.Add(name); else failed[name] = $"relative error {error:E2}";
            }
            catch (Exception e)
            {
                failed[name] = $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";
            }
        }
        output.WriteLine($"{compared.Count} backend models with initializers compared, {withoutInitializers} without initializers, {failed.Count} not compared ({Excluded.Count} listed)");
        Assert.True(compared.Count >= 130, $"only {compared.Count} backend models with initializers were compared");
        Excluded.Check(failed, compared, output.WriteLine);
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
