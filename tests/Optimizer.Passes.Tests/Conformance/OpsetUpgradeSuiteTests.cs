using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// Every backend-suite model ONNX Runtime can run, upgraded alone (no other pass) to opset 13 (what INT8 needs) and to
/// the highest opset the upgrade supports: the upgraded model gives the same outputs, unless the model is listed with its
/// reason (the upgrade refuses it, ONNX Runtime cannot run it, ...); an unlisted model that fails or is refused, or a
/// listed one that passes, fails the test. The models of the old exporters (opset 1..8, IR 3) are counted apart; where ONNX Runtime has no
/// kernel left for one of their operators (Add-6, Gemm-6, PRelu-6, BatchNormalization-6, AveragePool-1, Pow-1), the
/// upgraded model is compared with the outputs the suite stores instead.
/// </summary>
public sealed class OpsetUpgradeSuiteTests(ITestOutputHelper output)
{
    /// <summary>Backend-suite models left out of the comparison whatever the target opset, with the reason.</summary>
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .Add("training models: they import only ai.onnx.preview.training, nothing to upgrade",
            "test_adagrad", "test_adagrad_multiple", "test_adam", "test_adam_multiple", "test_momentum", "test_momentum_multiple",
            "test_nesterov_momentum")
        .Add("ONNX Runtime has no CPU kernel for BitShift(11)",
            "test_bitshift_left_uint16", "test_bitshift_right_uint16")
        .Add("the test kit passes uint32 inputs as int32",
            "test_bitshift_left_uint32", "test_bitshift_right_uint32", "test_max_uint32", "test_min_uint32", "test_mod_uint32")
        .Add("the test kit passes uint64 inputs as int64",
            "test_bitshift_left_uint64", "test_bitshift_right_uint64", "test_max_uint64", "test_min_uint64", "test_mod_uint64")
        .Add("the test kit passes bfloat16 inputs as int16",
            "test_cast_BFLOAT16_to_FLOAT")
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
        .Add("random op: a fresh draw per run",
            "test_dropout_default", "test_dropout_default_mask", "test_dropout_default_mask_ratio", "test_dropout_default_old",
            "test_dropout_default_ratio", "test_dropout_random_old", "test_training_dropout", "test_training_dropout_default",
            "test_training_dropout_default_mask", "test_training_dropout_mask", "test_training_dropout_zero_ratio",
            "test_training_dropout_zero_ratio_mask")
        .Add("training operators (ai.onnx.preview.training) are not in ONNX Runtime",
            "test_gradient_of_add", "test_gradient_of_add_and_mul")
        .Add("sequence or optional input files: the tensor reader refuses them (their bytes read as a TensorProto give absurd dims)",
            "test_identity_opt", "test_loop13_seq", "test_loop16_seq_none", "test_optional_get_element", "test_optional_get_element_sequence",
            "test_optional_has_element", "test_optional_has_element_empty", "test_sequence_insert_at_back", "test_sequence_insert_at_front",
            "test_sequence_map_extract_shapes", "test_sequence_map_extract_shapes_expanded")
        .Add("sequence inputs or outputs: the test kit runs tensors only",
            "test_if_seq")
        .Add("ONNX Runtime has no CPU kernel for Max(13)",
            "test_max_int16", "test_max_uint16")
        .Add("ONNX Runtime has no CPU kernel for Min(13)",
            "test_min_int16", "test_min_uint16")
        .Add("the test kit passes uint16 inputs as int16",
            "test_mod_uint16")
        .Add("the upgrade refuses: nearest Upsample with non-constant scales cannot be carried to Resize exactly",
            "test_upsample_nearest");

    /// <summary>
    /// Models left out at the highest target only (at opset 13 they are above the target: nothing to upgrade).
    /// Nothing is left out at opset 13 alone.
    /// </summary>
    private static readonly ExcludedModels ExcludedAtMax = new ExcludedModels()
        .Add("random op: a fresh draw per run",
            "test_bernoulli", "test_bernoulli_double", "test_bernoulli_double_expanded", "test_bernoulli_expanded", "test_bernoulli_seed",
            "test_bernoulli_seed_expanded")
        .Add("the test kit passes bfloat16 inputs as int16",
            "test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded", "test_castlike_FLOAT_to_BFLOAT16",
            "test_castlike_FLOAT_to_BFLOAT16_expanded")
        .Add("the upgrade refuses: DFT's dft_length and axis moved to inputs with different semantics",
            "test_dft", "test_dft_axis", "test_dft_inverse")
        .Add("ONNX Runtime does not run batchwise recurrent layers (layout 1)",
            "test_gru_batchwise", "test_lstm_batchwise", "test_simple_rnn_batchwise")
        .Add("sequence inputs or outputs: the test kit runs tensors only",
            "test_identity_sequence", "test_if_opt", "test_sequence_map_add_1_sequence_1_tensor",
            "test_sequence_map_add_1_sequence_1_tensor_expanded", "test_sequence_map_add_2_sequences", "test_sequence_map_add_2_sequences_expanded",
            "test_sequence_map_identity_1_sequence", "test_sequence_map_identity_1_sequence_1_tensor",
            "test_sequence_map_identity_1_sequence_1_tensor_expanded", "test_sequence_map_identity_1_sequence_expanded",
            "test_sequence_map_identity_2_sequences", "test_sequence_map_identity_2_sequences_expanded")
        .Add("ONNX Runtime has no CPU kernel for Pow(15)",
            "test_pow_types_float32_uint32", "test_pow_types_float32_uint64");

    [Theory]
    [InlineData(13)]
    [InlineData(OpsetAdapters.MaxTarget)]
    public void UpgradedBackendModelsKeepTheirOutputsOrAreRefused(long target)
    {
        int refused = 0, aboveTarget = 0, oldCompared = 0, oldRefused = 0, stored = 0;
        var failed = new Dictionary<string, string>();
        var compared = new List<string>();
        var reasons = new Dictionary<string, int>();
        foreach (var path in TestPaths.BackendModels())
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Model model;
            Dictionary<string, TestTensor>? inputs;
            Dictionary<string, TestTensor> expected;
            var old = false;
            var fromStored = false;
            try
            {
                model = ModelReader.Read(path);
                inputs = ReferenceData.BackendInputs(path, model);
                if (model.GetOpset("") is not { } opset)
                {
                    failed[name] = "imports no ONNX opset";
                    continue;
                }
                if (opset > target)
                {
                    aboveTarget++; // nothing to upgrade
                    continue;
                }
                if (inputs is null)
                {
                    failed[name] = "no test_data_set_0 inputs";
                    continue;
                }
                if (model.Graph.AllNodes().FirstOrDefault(n => n.OpType.StartsWith("Random") || n.OpType is "Bernoulli" or "Multinomial" or "Dropout") is { } randomNode)
                {
                    failed[name] = "random op " + randomNode.OpType;
                    continue;
                }
                old = opset < 9;
                try
                {
                    expected = OrtRunner.Run(File.ReadAllBytes(path), inputs);
                }
                catch (OnnxRuntimeException) when (old)
                {
                    // Computed by the exporter, not by ONNX Runtime: float noise of another implementation.
                    expected = ReferenceData.BackendOutputs(path, model) ?? throw new NotSupportedException("no stored outputs");
                    fromStored = true;
                }
            }
            catch (Exception e)
            {
                failed[name] = $"before the upgrade: {e.GetType().Name}: {FirstLine(e.Message)}";
                continue;
            }
            try
            {
                PassRunner.Run(model, [new UpgradeOpset()], new PassContext(new PassOptions { TargetOpset = target, Verify = true }));
            }
            catch (InvalidInputException e)
            {
                refused++;
                if (old) oldRefused++;
                var key = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
                failed[name] = "refused: " + FirstLine(key);
                continue;
            }
            catch (Exception e)
            {
                failed[name] = $"upgrade: {e.GetType().Name}: {FirstLine(e.Message)}";
                continue;
            }
            try
            {
                var actual = OrtRunner.Run(ModelWriter.ToBytes(model), inputs);
                var tolerance = fromStored ? 1e-3 : 1e-4;
                string? difference = null;
                foreach (var (outputName, e) in expected)
                    if (!(OrtRunner.RelativeError(e.AsDoubles(), actual[outputName].AsDoubles()) <= tolerance)) difference ??= $"{outputName} differs";
                if (difference is not null)
                {
                    failed[name] = "after the upgrade: " + difference;
                    continue;
                }
                compared.Add(name);
                if (old) oldCompared++;
                if (fromStored) stored++;
            }
            catch (Exception e)
            {
                failed[name] = $"after the upgrade: {e.GetType().Name}: {FirstLine(e.Message)}";
            }
        }
        output.WriteLine($"upgraded to opset {target}: {compared.Count} compared, {refused} refused, {aboveTarget} above the target, {failed.Count} not compared");
        output.WriteLine($"  of them below opset 9: {oldCompared} compared ({stored} with the stored outputs), {oldRefused} refused");
        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value)) output.WriteLine($"  refused x{count}: {reason}");
        Assert.True(compared.Count > (target == 13 ? 400 : 700), $"only {compared.Count} upgraded models were compared");
        Assert.True(oldCompared > 100, $"only {oldCompared} upgraded models below opset 9 were compared");
        var excluded = new ExcludedModels();
        foreach (var list in target == 13 ? [Excluded] : new[] { Excluded, ExcludedAtMax })
            foreach (var model in list.Models)
                excluded.Add(list.Reason(model)!, model);
        excluded.Check(failed, compared, output.WriteLine);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
