using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Decides, on the IR alone, which nodes static quantization turns into Q/DQ groups and which tensors need a range.
/// For ONNX Runtime's CPU provider a node is quantized only where its QDQ transformer fuses the group into an integer
/// kernel (onnxruntime/core/optimizer/qdq_transformer/selectors_actions): Conv → QLinearConv, MatMul → QLinearMatMul
/// or MatMulIntegerToFloat, Gemm → QGemm, Add/Mul → QLinearAdd/Mul, the unary QLinear ops, Concat, and the ops whose
/// DQ/Q ORT drops when both sides carry the same parameters. Elsewhere Q/DQ would only add conversions.
/// For TensorRT the placement is the one its documentation recommends: Q/DQ on the inputs of Conv/Gemm/MatMul
/// (weights per channel) and on the identity input of a residual Add after a Conv.
/// </summary>
public static class QdqPlanner
{
    private static readonly HashSet<string> CpuUnary = ["AveragePool", "GlobalAveragePool", "Sigmoid", "LeakyRelu", "Softmax"];

    private static readonly HashSet<string> CpuMovement =
        ["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Gather", "Slice", "MaxPool", "Resize", "Expand", "Tile", "Split"];

    internal const string NotFusedByOrt = "op not fused by ONNX Runtime's CPU provider (Q/DQ would only add conversions)";
    internal const string Excluded = "excluded by name or op type, or kept in float by the accuracy budget";
    internal const string OverridableWeight = "weight is an overridable graph input";

    /// <summary>Names unnamed nodes, infers element types, and plans. Changes nothing else in the model.</summary>
    public static QdqPlan Plan(Model model, QuantizationSettings settings) => new(Analyze(model, settings));

    /// <summary>
    /// The plan. With ranges, it is kept within them: a plan under other exclusions than the one calibrated (an accuracy
    /// budget's candidate) can need a tensor calibration never observed, as when a Concat that no integer kernel read
    /// before now feeds one (BlazeFace's channel padding). The nodes that would read or write such a tensor quantized
    /// stay float, and the plan is made again, until it needs only what was calibrated; every caller (the pass, the
    /// report, bias correction) sees that same plan.
    /// </summary>
    internal static QdqAnalysis Analyze(Model model, QuantizationSettings settings)
    {
        NodeNaming.EnsureNames(model);
        ShapeInference.Run(model);
        var floatOnly = FloatOnlyTensors.Find(model, settings);
        var analysis = PlanOnce(model, settings, floatOnly);
        if (settings.Ranges is not { } ranges) return analysis;
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var round = 0; round < MaxReplans; round++)
        {
            var missing = analysis.Activations.Where(a => a.Constant is null && !ranges.ContainsKey(a.RangeName)).ToList();
            if (missing.Count == 0) break;
            foreach (var plan in missing)
            {
                var reason = $"it would read or write '{plan.RangeName}' quantized, a tensor calibration did not observe (it was planned in float when the ranges were collected)";
                foreach (var (node, _) in plan.Consumers) kept.TryAdd(node.Name, reason);
                if (plan.Value.Producer is { } producer && analysis.Quantized.Contains(producer)) kept.TryAdd(producer.Name, reason);
            }
            analysis = PlanOnce(model, settings with { KeepFloat = settings.KeepFloat.Union(kept.Keys).ToHashSet(StringComparer.Ordinal) }, floatOnly);
        }
        for (var i = 0; i < analysis.LeftInFloat.Count; i++)
            if (kept.TryGetValue(analysis.LeftInFloat[i].Node.Name, out var why) && !settings.KeepFloat.Contains(analysis.LeftInFloat[i].Node.Name))
                analysis.LeftInFloat[i] = (analysis.LeftInFloat[i].Node, why);
        return analysis;
    }

    private const int MaxReplans = 16;

    private static QdqAnalysis PlanOnce(Model model, QuantizationSettings settings, Dictionary<Value, string> floatOnly)
    {
        var planner = new Planner(settings, floatOnly);
        foreach (var node in model.Graph.AllNodes().ToList()) planner.Visit(node);
        planner.QuantizeOutputs();
        return planner.Result;
    }

    internal static QdqRole? RoleOf(string op, QuantizationTarget target) => target switch
    {
        QuantizationTarget.TensorRt => op switch
        {
            "Conv" or "ConvTranspose" or "MatMul" or "Gemm" => QdqRole.Weighted,
            "Add" => QdqRole.ResidualAdd,
            _ => null,
        },
        _ => op switch
        {
            "Conv" or "MatMul" or "Gemm" => QdqRole.Weighted,
            "Add" or "Mul" => QdqRole.Binary,
            "Concat" => QdqRole.Concat,
            _ when CpuUnary.Contains(op) => QdqRole.Unary,
            _ when CpuMovement.Contains(op) => QdqRole.Movement,
            _ => null,
        },
    };

    private static bool IsFloatActivation(Value? value) => value is { ElementType: ElementType.Float } && Patterns.Constant(value) is null;

    private sealed class Planner(QuantizationSettings settings, Dictionary<Value, string> floatOnly)
    {
        private readonly bool _cpu = settings.Target == QuantizationTarget.Cpu;
        private readonly HashSet<Node> _quantized = [];

        /// <summary>Outputs of folded Relu/Clip nodes → the quantized producer whose Q now clamps.</summary>
        private readonly Dictionary<Value, Node> _foldedOutputs = [];

        public QdqAnalysis Result { get; } = new();

        public void Visit(Node node)
        {
            if (!node.IsDefaultDomain) return;
            var role = RoleOf(node.OpType, settings.Target);
            var hasFloatInput = node.Inputs.Any(IsFloatActivation);
            if (role is null)
            {
                if (_cpu && node.OpType is "Relu" or "Clip") TryFold(node);
                else if (_cpu && hasFloatInput && node.Outputs.Any(o => o is { ElementType: ElementType.Float }))
                    Leave(node, NotFusedByOrt);
                return;
            }
            if (!hasFloatInput) return;
            if (settings.IsExcluded(node))
            {
                Leave(node, Excluded);
                return;
            }
            if (FloatOnlyReason(node, role.Value) is { } floatOnlyReason)
            {
                Leave(node, floatOnlyReason);
                return;
            }
            if (_cpu && role is not QdqRole.Weighted && !IntegerPaths.FeedsIntegerKernel(node, settings.Target, StaysFloat) && !PoolsQuantizedMap(node))
            {
                Leave(node, IntegerPaths.NoIntegerConsumer);
                return;
            }
            if (_cpu && role is QdqRole.Binary && IntegerPaths.VectorConstantOperand(node) is { } constant)
            {
                Leave(node, $"its constant operand '{constant}' holds one value per channel, which one uint8 scale for the whole tensor would blur");
                return;
            }
            var weights = new List<WeightPlan>();
            var biases = new List<BiasPlan>();
            var activations = new List<int>();
            var why = role switch
            {
                QdqRole.Weighted => CheckWeighted(node, weights, biases, activations),
                QdqRole.Binary => CheckInputs(node, [0, 1], activations),
                QdqRole.Unary => CheckInputs(node, [0], activations),
                QdqRole.Concat => CheckConcat(node, activations),
                QdqRole.Movement => CheckMovement(node, activations),
                QdqRole.ResidualAdd => CheckResidualAdd(node, activations),
                _ => "unknown role",
            };
            if (why is not null)
            {
                Leave(node, why);
                return;
            }
            _quantized.Add(node);
            Result.Quantized.Add(node);
            Result.Roles[node] = role.Value;
            Result.Weights.AddRange(weights);
            Result.Biases.AddRange(biases);
            foreach (var i in activations)
            {
                var v = node.Input(i)!;
                Result.Activation(v, Patterns.Constant(v)).Consumers.Add((node, i));
            }
            if (role == QdqRole.Concat)
                foreach (var i in activations.Skip(1)) Result.Join(node.Input(i)!, node.Input(activations[0])!);
        }

        /// <summary>Adds the output Q/DQ of the quantized nodes (CPU target) once every consumer is decided.</summary>
        public void QuantizeOutputs()
        {
            if (!_cpu) return;
            foreach (var node in Result.Quantized)
            {
                var role = Result.Roles[node];
                foreach (var output in node.Outputs)
                {
                    if (output is not { ElementType: ElementType.Float }) continue;
                    var fold = Result.Folds.Find(f => f.Producer == node && f.Clamp.Input(0) == output);
                    var target = fold?.Clamp.Output() ?? output;
                    // QLinearConv and the other QLinear kernels need the Q; MatMul and Gemm have float-output forms
                    // (MatMulIntegerToFloat, QGemm), so they get one only when a quantized consumer or a clamp needs it.
                    var needed = role != QdqRole.Weighted || node.OpType == "Conv" || fold is not null || Result.ByValue.ContainsKey(target);
                    if (!needed) continue;
                    Result.Activation(target, null).AllUses = true;
                    if (role == QdqRole.Movement) Result.Join(target, node.Input(0)!);
                    if (role == QdqRole.Concat) Result.Join(target, node.Inputs.First(i => i is not null)!);
                }
            }
        }

        /// <summary>Why <paramref name="node"/> cannot read or write a tensor 8 bits cannot carry (see <see cref="FloatOnlyTensors"/>).</summary>
        private string? FloatOnlyReason(Node node, QdqRole role)
        {
            foreach (var input in node.Inputs)
                if (input is not null && IsFloatActivation(input) && floatOnly.TryGetValue(input, out var why)) return why;
            // Only MatMul and Gemm have float-output kernels; every other quantized op writes its output quantized.
            var writesQuantized = _cpu && (role != QdqRole.Weighted || node.OpType == "Conv");
            foreach (var output in node.Outputs)
                if (writesQuantized && output is not null && floatOnly.TryGetValue(output, out var why)) return why;
            return null;
        }

        private void Leave(Node node, string reason) => Result.LeftInFloat.Add((node, reason));

        /// <summary>A node the plan keeps in float whatever its neighbours: excluded, or reading or writing a float-only tensor.</summary>
        private bool StaysFloat(Node node) =>
            settings.IsExcluded(node) || (RoleOf(node.OpType, settings.Target) is { } role && FloatOnlyReason(node, role) is not null);

        /// <summary>
        /// A GlobalAveragePool of a map that is already quantized pays even when no integer kernel reads its output: the
        /// DequantizeLinear then runs on the pooled [N, C, 1, 1] instead of the whole map (squeezenet1_1's head, timed
        /// side by side: 1.315 → 1.282 ms, a QLinearGlobalAveragePool and a DQ of 1,000 values instead of a DQ of
        /// 169,000 and a float pool; worst cosine 0.99993 → 0.99974, one more rounding of the pooled values). A MaxPool
        /// or AveragePool of a quantized map likewise reads uint8 and leaves a smaller map to dequantize.
        /// </summary>
        private bool PoolsQuantizedMap(Node node) =>
            node.OpType is "GlobalAveragePool" or "AveragePool" or "MaxPool" && node.Input(0) is { } x && IsQuantized(x);

        // Conv/Gemm/MatMul → Relu or Clip(0, max) => the producer's output Q takes the clamp's range (zero point 0, so
        // the Q clamps at 0 exactly like the Relu) and the clamp goes.
        private void TryFold(Node clamp)
        {
            var x = clamp.Input(0);
            if (x is null || !IsFloatActivation(x)) return;
            var producer = x.Producer;
            if (producer is null || !_quantized.Contains(producer) || producer.Graph != clamp.Graph
                || Result.Roles[producer] is not (QdqRole.Weighted or QdqRole.Binary or QdqRole.Unary))
            {
                Leave(clamp, $"{clamp.OpType} does not follow a quantized Conv, MatMul, Gemm, Add, Mul or unary op (ONNX Runtime fuses it only into its producer's Q)");
                return;
            }
            if (settings.IsExcluded(clamp))
            {
                Leave(clamp, Excluded);
                return;
            }
            if (!Patterns.HasSingleUse(x))
            {
                Leave(clamp, $"the {producer.OpType} output is also used without the {clamp.OpType}");
                return;
            }
            float? max = float.PositiveInfinity;
            if (clamp.OpType == "Clip")
            {
                var min = Patterns.Constant(clamp.Input(1));
                if (min is not { ElementCount: 1 } || min.ToDoubles()[0] != 0)
                {
                    Leave(clamp, "Clip's min is not a constant 0 (only a clamp at 0 folds into a uint8 zero point of 0)");
                    return;
                }
                if (clamp.Input(2) is { } maxValue)
                {
                    if (Patterns.Constant(maxValue) is not { ElementCount: 1 } m)
                    {
                        Leave(clamp, "Clip's max is not a constant");
                        return;
                    }
                    max = (float)m.ToDoubles()[0];
                }
            }
            var output = clamp.Output();
            Result.Folds.Add(new ClampFold(producer, clamp, max));
            _foldedOutputs[output] = producer;
            Result.Clamp[Result.Root(output)] = max;
        }

        private bool IsQuantized(Value v) =>
            v.Producer is { } p && _quantized.Contains(p) || _foldedOutputs.ContainsKey(v) || Result.ByValue.ContainsKey(v);

        private string? CheckInputs(Node node, int[] indices, List<int> activations)
        {
            foreach (var i in indices)
            {
                var v = node.Input(i);
                if (v is null) return $"input {i} is missing";
                if (Patterns.Constant(v) is { } t)
                {
                    if (t.ElementType != ElementType.Float) return $"input '{v.Name}' is not float32";
                }
                else if (v.ElementType != ElementType.Float)
                    return $"input '{v.Name}' is not float32 (or its type is unknown)";
                activations.Add(i);
            }
            if (activations.All(i => Patterns.Constant(node.Input(i)) is not null)) return "all inputs are constants";
            return null;
        }

        private string? CheckWeighted(Node node, List<WeightPlan> weights, List<BiasPlan> biases, List<int> activations)
        {
            var a = node.Input(0);
            if (!IsFloatActivation(a)) return Patterns.Constant(a) is not null ? $"{node.OpType}'s first input is a constant" : $"input '{a?.Name}' is not float32 (or its type is unknown)";
            activations.Add(0);
            var w = node.Input(1);
            if (w is { IsOverridable: true }) return OverridableWeight;
            var wt = Patterns.Constant(w);
            if (wt is null)
            {
                if (node.OpType != "MatMul") return $"{node.OpType}'s weight is not a constant";
                if (!IsFloatActivation(w)) return $"input '{w?.Name}' is not float32 (or its type is unknown)";
                activations.Add(1);
                return null;
            }
            if (wt.ElementType != ElementType.Float) return "weight is not a float32 constant";
            var rank = wt.Dims.Count;
            var axis = node.OpType switch
            {
                "Conv" => 0,
                // ConvTranspose weights are [C, M/group, k...]: output channels on axis 1 (all of them only when group is 1).
                "ConvTranspose" => node.GetInt("group", 1) == 1 ? 1 : -1,
                "MatMul" => rank == 2 ? 1 : -1,
                "Gemm" => node.GetInt("transB", 0) != 0 ? 0 : 1,
                _ => -1,
            };
            if (node.OpType is "Conv" or "ConvTranspose" && rank < 3) return "weight rank is below 3";
            if (node.OpType == "Gemm" && rank != 2) return "Gemm's B is not a matrix";
            var weight = new WeightPlan(node, 1, settings.PerTensorWeights ? -1 : axis);
            weights.Add(weight);
            // TensorRT takes a float bias; ONNX Runtime's QLinearConv and QGemm need an int32 one (every input a DQ).
            if (!_cpu || node.OpType == "MatMul" || node.Input(2) is not { } bias) return null;
            var bt = Patterns.Constant(bias);
            var channels = node.OpType == "Gemm" && node.GetInt("transB", 0) == 0 ? wt.Dims[1] : wt.Dims[0];
            if (bt is not { ElementType: ElementType.Float } || bt.Dims.Count != 1 || bt.Dims[0] != channels)
                return $"{node.OpType}'s bias is not a constant float vector of one value per output channel";
            if (node.OpType == "Gemm" && node.GetFloat("beta", 1f) != 1f) return "Gemm's beta is not 1 (QGemm adds the int32 bias unscaled)";
            biases.Add(new BiasPlan(node, 2, weight));
            return null;
        }

        private string? CheckConcat(Node node, List<int> activations)
        {
            var indices = Enumerable.Range(0, node.Inputs.Count).Where(i => node.Input(i) is not null).ToArray();
            if (CheckInputs(node, indices, activations) is { } why) return why;
            // One range covers all inputs and the output; a folded Relu/Clip relies on its range staying clamped.
            var clamps = activations.Select(i => Result.ClampOf(node.Input(i)!)).Distinct().Count();
            return clamps > 1 ? "Concat joins inputs clamped by a folded Relu/Clip with differently clamped ones (one shared range would undo the clamp)" : null;
        }

        private string? CheckMovement(Node node, List<int> activations)
        {
            var x = node.Input(0);
            if (!IsFloatActivation(x)) return $"data input is not a float32 activation";
            if (!IsQuantized(x!)) return "data input is not quantized (Q/DQ around an op that only moves values would only add conversions)";
            if (node.OpType == "MaxPool" && node.Outputs.Count > 1 && node.Outputs[1] is { } indices && (indices.Uses.Count > 0 || indices.IsGraphOutput))
                return "MaxPool's Indices output is used";
            activations.Add(0);
            // Same scale and zero point on both sides: ORT drops DQ→op→Q and runs the op on uint8.
            foreach (var o in node.Outputs)
                if (o is not null) Result.Join(o, x!);
            return null;
        }

        // TensorRT fuses Conv → Add(residual) when the Add's other input (the identity branch) is quantized.
        private string? CheckResidualAdd(Node node, List<int> activations)
        {
            var (a, b) = (node.Input(0), node.Input(1));
            if (!IsFloatActivation(a) || !IsFloatActivation(b)) return "not an Add of two float32 activations";
            static bool FromConv(Value v, HashSet<Node> quantized) => v.Producer is { OpType: "Conv" } p && quantized.Contains(p) && Patterns.HasSingleUse(v);
            if (FromConv(a!, _quantized)) activations.Add(1);
            else if (FromConv(b!, _quantized)) activations.Add(0);
            else return "not a residual Add after a quantized Conv (TensorRT fuses only that Add)";
            return null;
        }
    }
}
