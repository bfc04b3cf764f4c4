using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Runtime.Tests.Data;

/// <summary>
/// ONNX's own backend test suite (Debian libonnx-testdata): every test_data_set folder is read through the data-set
/// reader, run under ONNX Runtime, and compared with its expected outputs. Every model must match except the ones
/// listed in <see cref="Excluded"/> with their reason, and a listed model that matches fails the test too.
/// </summary>
public sealed class BackendSuiteTests(ITestOutputHelper output)
{
    /// <summary>Every backend-suite model that does not reproduce its expected outputs here, with the reason.</summary>
    private static readonly ExcludedModels Excluded = new ExcludedModels()
        .AddOnnxRuntimeGaps()
        .Add("random op: a fresh draw per run",
            "test_bernoulli", "test_bernoulli_double", "test_bernoulli_double_expanded", "test_bernoulli_expanded", "test_bernoulli_seed",
            "test_bernoulli_seed_expanded", "test_training_dropout", "test_training_dropout_default", "test_training_dropout_default_mask",
            "test_training_dropout_mask")
        .Add("bfloat16 inputs are stored as uint16 and refused",
            "test_cast_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded")
        .Add("the inputs hold NaN or infinity on purpose; the data-set reader refuses them",
            "test_cast_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded", "test_isinf",
            "test_isinf_negative", "test_isinf_positive", "test_isnan")
        .Add("string tensors are not supported as sample data",
            "test_cast_FLOAT_to_STRING", "test_cast_STRING_to_FLOAT", "test_castlike_FLOAT_to_STRING", "test_castlike_FLOAT_to_STRING_expanded",
            "test_castlike_STRING_to_FLOAT", "test_castlike_STRING_to_FLOAT_expanded", "test_strnorm_model_monday_casesensintive_nochangecase",
            "test_strnorm_model_nostopwords_nochangecase", "test_strnormalizer_export_monday_casesensintive_nochangecase",
            "test_strnormalizer_nostopwords_nochangecase")
        .Add("float noise: an absolute error of 1e-4 on an expected 0",
            "test_dft", "test_dft_axis")
        .Add("ONNX Runtime does not run batchwise recurrent layers (layout 1)",
            "test_gru_batchwise", "test_lstm_batchwise", "test_simple_rnn_batchwise")
        .Add("sequence or optional outputs: nothing to compare as a tensor",
            "test_identity_opt", "test_identity_sequence", "test_if_opt", "test_if_seq", "test_loop13_seq", "test_loop16_seq_none",
            "test_optional_get_element_sequence", "test_sequence_insert_at_back", "test_sequence_insert_at_front",
            "test_sequence_map_add_1_sequence_1_tensor", "test_sequence_map_add_1_sequence_1_tensor_expanded", "test_sequence_map_add_2_sequences",
            "test_sequence_map_add_2_sequences_expanded", "test_sequence_map_extract_shapes", "test_sequence_map_extract_shapes_expanded",
            "test_sequence_map_identity_1_sequence", "test_sequence_map_identity_1_sequence_1_tensor",
            "test_sequence_map_identity_1_sequence_1_tensor_expanded", "test_sequence_map_identity_1_sequence_expanded",
            "test_sequence_map_identity_2_sequences", "test_sequence_map_identity_2_sequences_expanded")
        .Add("ONNX Runtime has no CPU kernel for Max(13)",
            "test_max_int16", "test_max_uint16")
        .Add("ONNX Runtime places the unpooled values differently from the reference when output_shape is given",
            "test_maxunpool_export_with_output_shape")
        .Add("ONNX Runtime has no CPU kernel for Min(13)",
            "test_min_int16", "test_min_uint16")
        .Add("ONNX Runtime has no CPU kernel for Pow(1)",
            "test_operator_pow")
        .Add("optional-typed input files are read as tensors by the data-set reader (the dims are the bytes of the name)",
            "test_optional_get_element", "test_optional_has_element", "test_optional_has_element_empty")
        .Add("ONNX Runtime has no CPU kernel for Pow(15)",
            "test_pow_types_float32_uint32", "test_pow_types_float32_uint64")
        .Add("ONNX Runtime computes align_corners downsampling differently from the reference",
            "test_resize_downsample_scales_cubic_align_corners", "test_resize_downsample_scales_linear_align_corners")
        .Add("StringNormalizer needs the en_US.UTF-8 locale, not installed here",
            "test_strnorm_model_monday_casesensintive_lower", "test_strnorm_model_monday_casesensintive_upper",
            "test_strnorm_model_monday_empty_output", "test_strnorm_model_monday_insensintive_upper_twodim",
            "test_strnormalizer_export_monday_casesensintive_lower", "test_strnormalizer_export_monday_casesensintive_upper",
            "test_strnormalizer_export_monday_empty_output", "test_strnormalizer_export_monday_insensintive_upper_twodim");

    [Fact]
    public void TestDataSetsReproduceTheirExpectedOutputs()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 500, $"expected the backend suite under {TestPaths.OnnxBackendData} (Debian package libonnx-testdata)");
        var failed = new Dictionary<string, string>();
        var passed = new List<string>();
        foreach (var model in models)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(model))!;
            ModelRunner runner;
            try { runner = new ModelRunner(model, SessionSettings.ForComparison); }
            catch (InvalidInputException e) { failed[name] = "rejected: " + FirstLine(e.Message); continue; }
            using (runner)
            {
                try
                {
                    var data = DataSet.Open(new DataOptions { Folder = Path.GetDirectoryName(model) }, runner.Signature);
                    string? difference = null;
                    foreach (var sample in data.Read())
                    {
                        var (actual, _) = runner.Run(sample);
                        foreach (var (outputName, expected) in sample.ExpectedOutputs ?? new Dictionary<string, HostTensor>())
                        {
                            var why = actual.TryGetValue(outputName, out var got) ? Mismatch(expected, got) : "no such output";
                            if (why is not null) difference ??= $"differs: {sample.Id}/{outputName}: {why}";
                        }
                    }
                    if (difference is null) passed.Add(name); else failed[name] = difference;
                }
                catch (InvalidInputException e)
                {
                    failed[name] = "not runnable: " + FirstLine(e.Message);
                }
            }
        }
        output.WriteLine($"{models.Count} models: {passed.Count} match, {failed.Count} do not ({Excluded.Count} listed)");
        Assert.True(passed.Count > 800, $"only {passed.Count} models match their expected outputs");
        Excluded.Check(failed, passed, output.WriteLine);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>Why two outputs differ (shape, type, or a value beyond 1e-4 + 1e-3·|expected|), or null when they agree.</summary>
    internal static string? Mismatch(HostTensor expected, HostTensor actual)
    {
        if (expected.ElementType != actual.ElementType) return $"type {actual.ElementType}, expected {expected.ElementType}";
        if (!expected.Shape.SequenceEqual(actual.Shape)) return $"shape {actual.ShapeText}, expected {expected.ShapeText}";
        for (long i = 0; i < expected.ElementCount; i++)
        {
            var e = TensorTypes.ReadAsDouble(expected.Bytes, expected.ElementType, i);
            var a = TensorTypes.ReadAsDouble(actual.Bytes, actual.ElementType, i);
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue;
            if (!(Math.Abs(a - e) <= 1e-4 + 1e-3 * Math.Abs(e))) return $"element {i}: {a}, expected {e}";
        }
        return null;
    }
}
