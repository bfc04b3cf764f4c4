using Xunit;

namespace Optimizer.TestKit;

/// <summary>
/// An explicit list of models a suite test leaves out, each with its reason. A model that fails and is not listed
/// fails the test, and so does a listed model that now passes (the list must stay honest).
/// </summary>
public sealed class ExcludedModels
{
    private readonly Dictionary<string, string> reasons = new(StringComparer.Ordinal);

    /// <summary>Lists <paramref name="models"/> as left out for <paramref name="reason"/>.</summary>
    public ExcludedModels Add(string reason, params string[] models)
    {
        foreach (var model in models)
            if (!reasons.TryAdd(model, reason)) throw new ArgumentException($"{model} is listed twice");
        return this;
    }

    /// <summary>
    /// The backend-suite models ONNX Runtime 1.31 cannot run at all on the CPU (operator versions it has no kernel for,
    /// training operators): left out by every suite test that runs the models in ONNX Runtime.
    /// </summary>
    public ExcludedModels AddOnnxRuntimeGaps() => this
        .Add("ONNX Runtime has no CPU kernel for AveragePool(1)",
            "test_AvgPool1d", "test_AvgPool1d_stride", "test_AvgPool2d", "test_AvgPool2d_stride", "test_AvgPool3d", "test_AvgPool3d_stride",
            "test_AvgPool3d_stride1_pad0_gpu_input")
        .Add("ONNX Runtime has no CPU kernel for BatchNormalization(6)",
            "test_BatchNorm1d_3d_input_eval", "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval", "test_BatchNorm3d_eval",
            "test_BatchNorm3d_momentum_eval")
        .Add("ONNX Runtime has no CPU kernel for Mul(6)",
            "test_GLU", "test_GLU_dim", "test_PoissonNLLLLoss_no_reduce")
        .Add("ONNX Runtime has no CPU kernel for Gemm(6)",
            "test_Linear", "test_operator_addmm", "test_operator_mm")
        .Add("ONNX Runtime has no CPU kernel for PRelu(6)",
            "test_PReLU_1d", "test_PReLU_1d_multiparam", "test_PReLU_2d", "test_PReLU_2d_multiparam", "test_PReLU_3d", "test_PReLU_3d_multiparam")
        .Add("ONNX Runtime has no CPU kernel for Add(6)",
            "test_Softsign", "test_operator_add_broadcast", "test_operator_add_size1_broadcast", "test_operator_add_size1_right_broadcast",
            "test_operator_add_size1_singleton_broadcast", "test_operator_addconstant", "test_operator_basic", "test_operator_non_float_params",
            "test_operator_params")
        .Add("training operators (ai.onnx.preview.training) are not in ONNX Runtime",
            "test_adagrad", "test_adagrad_multiple", "test_adam", "test_adam_multiple", "test_gradient_of_add", "test_gradient_of_add_and_mul",
            "test_momentum", "test_momentum_multiple", "test_nesterov_momentum")
        .Add("ONNX Runtime has no CPU kernel for BitShift(11)",
            "test_bitshift_left_uint16", "test_bitshift_right_uint16");

    public int Count => reasons.Count;

    public IEnumerable<string> Models => reasons.Keys;

    public bool Contains(string model) => reasons.ContainsKey(model);

    public string? Reason(string model) => reasons.GetValueOrDefault(model);

    /// <summary>
    /// Fails on every model of <paramref name="failed"/> (model → what went wrong) not listed, and on every listed model
    /// of <paramref name="passed"/>; a listed model seen neither way (missing from the suite) fails as well.
    /// </summary>
    public void Check(IReadOnlyDictionary<string, string> failed, IReadOnlyCollection<string> passed, Action<string> log)
    {
        var problems = new List<string>();
        foreach (var (model, why) in failed.OrderBy(f => f.Key, StringComparer.Ordinal))
            if (!reasons.ContainsKey(model)) problems.Add($"not listed: \"{model}\", // {why}");
        foreach (var model in passed.Order(StringComparer.Ordinal))
            if (reasons.TryGetValue(model, out var reason)) problems.Add($"listed ({reason}) but passes: {model}");
        var seen = failed.Keys.Concat(passed).ToHashSet(StringComparer.Ordinal);
        foreach (var model in reasons.Keys.Order(StringComparer.Ordinal))
            if (!seen.Contains(model)) problems.Add($"listed but not in the suite: {model}");
        foreach (var p in problems) log(p);
        Assert.True(problems.Count == 0, $"{problems.Count} models disagree with the exclusion list:\n" + string.Join("\n", problems.Take(40)));
    }
}
