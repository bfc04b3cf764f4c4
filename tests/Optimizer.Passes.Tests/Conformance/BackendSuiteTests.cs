using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// ONNX's backend test suite through the default pipeline: every model ONNX Runtime can run gives the same outputs
/// (relative error under 1e-4) on its test_data_set_0 after the passes as before. Every model must be compared
/// except the ones listed in <see cref="Excluded"/> with their reason (random ops, kernels ONNX Runtime lacks, ...);
/// an unlisted model that fails, or a listed one that passes, fails the test.
/// </summary>
public sealed class BackendSuiteTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> RandomOps = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"];

    /// <summary>Every backend-suite model not compared before and after the passes, with the reason.</summary>
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .AddOnnxRuntimeGaps()
        .Add("random op: a fresh draw per run",
            "test_bernoulli", "test_bernoulli_double", "test_bernoulli_double_expanded", "test_bernoulli_expanded", "test_bernoulli_seed",
            "test_bernoulli_seed_expanded", "test_training_dropout", "test_training_dropout_default", "test_training_dropout_default_mask",
            "test_training_dropout_mask", "test_training_dropout_zero_ratio", "test_training_dropout_zero_ratio_mask")
        .Add("the test kit passes uint32 inputs as int32",
            "test_bitshift_left_uint32", "test_bitshift_right_uint32", "test_max_uint32", "test_min_uint32", "test_mod_uint32")
        .Add("the test kit passes uint64 inputs as int64",
            "test_bitshift_left_uint64", "test_bitshift_right_uint64", "test_max_uint64", "test_min_uint64", "test_mod_uint64")
        .Add("the test kit passes bfloat16 inputs as int16",
            "test_cast_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded",
            "test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded")
        .Add("the test kit reads float16 outputs as uint16",
            "test_cast_DOUBLE_to_FLOAT16", "test_cast_FLOAT_to_FLOAT16", "test_castlike_DOUBLE_to_FLOAT16",
            "test_castlike_DOUBLE_to_FLOAT16_expanded", "test_castlike_FLOAT_to_FLOAT16", "test_castlike_FLOAT_to_FLOAT16_expanded",
            "test_max_float16", "test_min_float16", "test_mod_mixed_sign_float16")
        .Add("the test kit does not hold string or bfloat16 tensors",
            "test_cast_FLOAT_to_BFLOAT16", "test_cast_FLOAT_to_STRING", "test_cast_STRING_to_FLOAT", "test_castlike_FLOAT_to_STRING",
            "test_castlike_FLOAT_to_STRING_expanded", "test_castlike_STRING_to_FLOAT", "test_castlike_STRING_to_FLOAT_expanded",
            "test_strnorm_model_monday_casesensintive_lower", "test_strnorm_model_monday_casesensintive_nochangecase",
            "test_strnorm_model_monday_casesensintive_upper", "test_strnorm_model_monday_empty_output",
            "test_strnorm_model_monday_insensintive_upper_twodim", "test_strnorm_model_nostopwords_nochangecase",
            "test_strnormalizer_export_monday_casesensintive_lower", "test_strnormalizer_export_monday_casesensintive_nochangecase",
            "test_strnormalizer_export_monday_casesensintive_upper", "test_strnormalizer_export_monday_empty_output",
            "test_strnormalizer_export_monday_insensintive_upper_twodim", "test_strnormalizer_nostopwords_nochangecase")
        .Add("the test kit passes int8 inputs as uint8",
            "test_clip_default_int8_inbounds", "test_clip_default_int8_max", "test_clip_default_int8_min", "test_max_int8", "test_min_int8",
            "test_mod_mixed_sign_int8")
        .Add("ONNX Runtime does not run batchwise recurrent layers (layout 1)",
            "test_gru_batchwise", "test_lstm_batchwise", "test_simple_rnn_batchwise")
        .Add("sequence or optional input files: the tensor reader refuses them (their bytes read as a TensorProto give absurd dims)",
            "test_identity_opt", "test_loop13_seq", "test_loop16_seq_none", "test_optional_get_element", "test_optional_get_element_sequence",
            "test_optional_has_element", "test_optional_has_element_empty", "test_sequence_insert_at_back", "test_sequence_insert_at_front",
            "test_sequence_map_extract_shapes", "test_sequence_map_extract_shapes_expanded")
        .Add("sequence inputs or outputs: the test kit runs tensors only",
            "test_identity_sequence", "test_if_opt", "test_if_seq", "test_sequence_map_add_1_sequence_1_tensor",
            "test_sequence_map_add_1_sequence_1_tensor_expanded", "test_sequence_map_add_2_sequences", "test_sequence_map_add_2_sequences_expanded",
            "test_sequence_map_identity_1_sequence", "test_sequence_map_identity_1_sequence_1_tensor",
            "test_sequence_map_identity_1_sequence_1_tensor_expanded", "test_sequence_map_identity_1_sequence_expanded",
            "test_sequence_map_identity_2_sequences", "test_sequence_map_identity_2_sequences_expanded")
        .Add("ONNX Runtime has no CPU kernel for Max(13)",
            "test_max_int16", "test_max_uint16")
        .Add("ONNX Runtime has no CPU kernel for Min(13)",
            "test_min_int16", "test_min_uint16")
        .Add("the test kit passes uint16 inputs as int16",
            "test_mod_uint16")
        .Add("ONNX Runtime has no CPU kernel for Pow(1)",
            "test_operator_pow")
        .Add("ONNX Runtime has no CPU kernel for Pow(15)",
            "test_pow_types_float32_uint32", "test_pow_types_float32_uint64");

    [Fact]
    public void DefaultPipelineKeepsEveryRunnableModelsOutputs()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 500, $"expected the backend suite under {TestPaths.OnnxBackendData}");
        int changed = 0;
        var failed = new Dictionary<string, string>();
        var compared = new List<string>();
        foreach (var path in models)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            Dictionary<string, TestTensor> expected;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                if (inputs is null)
                {
                    failed[name] = "no test_data_set_0 inputs";
                    continue;
                }
                if (model.Graph.AllNodes().FirstOrDefault(n => RandomOps.Contains(n.OpType) && n.OpType != "Dropout" || IsTrainingDropout(n)) is { } randomNode)
                {
                    failed[name] = "random op " + randomNode.OpType;
                    continue;
                }
                expected = OrtRunner.Run(File.ReadAllBytes(path), inputs);
            }
            catch (Exception e)
            {
                failed[name] = $"before the passes: {e.GetType().Name}: {FirstLine(e.Message)}";
                continue;
            }
            var nodes = Pipelines.NodeCount(model);
            try
            {
                Pipelines.RunDefault(model);
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                string? difference = null;
                foreach (var (outputName, e) in expected)
                {
                    var error = OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles());
                    if (!(error <= 1e-4) || !e.Dims.SequenceEqual(actual[outputName].Dims)) difference ??= $"{outputName}: relative error {error:E2}";
                }
                if (difference is null) compared.Add(name); else failed[name] = "after the passes: " + difference;
                if (Pipelines.NodeCount(model) != nodes) changed++;
            }
            catch (Exception e)
            {
                failed[name] = $"after the passes: {e.GetType().Name}: {FirstLine(e.Message)}";
            }
        }
        output.WriteLine($"{models.Count} models: {compared.Count} keep their outputs ({changed} changed by the passes), {failed.Count} not compared or differ ({Excluded.Count} listed)");
        Assert.True(compared.Count > 800, $"only {compared.Count} models were compared");
        Excluded.Check(failed, compared, output.WriteLine);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static bool IsTrainingDropout(Node n) => n.OpType == "Dropout" && n.Input(2) is not null;
}
