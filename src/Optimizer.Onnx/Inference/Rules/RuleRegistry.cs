namespace Optimizer.Onnx.Inference.Rules;

/// <summary>
/// The rule of each operator of the default ONNX domain, in one list grouped by family. An operator that is not
/// listed gets no inference: its outputs keep the types the model states.
/// </summary>
internal static class RuleRegistry
{
    private static readonly Dictionary<string, Rule> Rules = Build();

    public static Rule? Find(string domain, string opType) => domain.Length == 0 ? Rules.GetValueOrDefault(opType) : null;

    private static Dictionary<string, Rule> Build()
    {
        var r = new Dictionary<string, Rule>(StringComparer.Ordinal);
        void Add(Rule rule, params string[] ops)
        {
            foreach (var op in ops) r.Add(op, rule);
        }

        // Same type and shape as input 0.
        Add(ElementwiseRules.SameAsInput,
            "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Gelu",
            "Mish", "Softplus", "Softsign", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
            "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Shrink", "BitwiseNot",
            "Softmax", "LogSoftmax", "Hardmax", "Clip", "CumSum", "Trilu", "LpNormalization", "MeanVarianceNormalization", "LRN",
            "InstanceNormalization", "GroupNormalization", "ScatterND", "ScatterElements", "Scatter", "ReverseSequence");
        Add(ElementwiseRules.Identity, "Identity");
        Add(ElementwiseRules.Neg, "Neg");
        Add(ElementwiseRules.Abs, "Abs");
        Add(ElementwiseRules.Predicate, "Not", "IsNaN", "IsInf");
        Add(ElementwiseRules.Dropout, "Dropout");
        Add(ElementwiseRules.Arithmetic, "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor");
        Add(ElementwiseRules.Comparison, "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor");
        Add(ElementwiseRules.Variadic, "Max", "Min", "Sum", "Mean");
        Add(ElementwiseRules.Where, "Where");
        Add(ElementwiseRules.Cast, "Cast");
        Add(ElementwiseRules.CastLike, "CastLike");

        // Shapes as data: what makes Shape→Gather→Concat→Reshape chains computable.
        Add(ShapeOpsRules.Shape, "Shape");
        Add(ShapeOpsRules.Size, "Size");
        Add(ShapeOpsRules.Constant, "Constant");
        Add(ShapeOpsRules.ConstantOfShape, "ConstantOfShape");
        Add(ShapeOpsRules.Range, "Range");
        Add(ShapeOpsRules.NonZero, "NonZero");
        Add(ShapeOpsRules.EyeLike, "EyeLike");

        // Rearranging and indexing.
        Add(ReshapeRules.Reshape, "Reshape");
        Add(ReshapeRules.Flatten, "Flatten");
        Add(ReshapeRules.Squeeze, "Squeeze");
        Add(ReshapeRules.Unsqueeze, "Unsqueeze");
        Add(ReshapeRules.Transpose, "Transpose");
        Add(ConcatSplitRules.Concat, "Concat");
        Add(ConcatSplitRules.Split, "Split");
        Add(SliceRules.Slice, "Slice");
        Add(GatherRules.Gather, "Gather");
        Add(GatherRules.GatherElements, "GatherElements");
        Add(GatherRules.GatherND, "GatherND");
        Add(ExpandPadRules.Expand, "Expand");
        Add(ExpandPadRules.Tile, "Tile");
        Add(ExpandPadRules.Pad, "Pad");
        Add(ResizeRules.Resize, "Resize");
        Add(ResizeRules.Upsample, "Upsample");
        Add(ResizeRules.DepthToSpace, "DepthToSpace");
        Add(ResizeRules.SpaceToDepth, "SpaceToDepth");
        Add(IndexingRules.OneHot, "OneHot");
        Add(IndexingRules.Compress, "Compress");
        Add(IndexingRules.Einsum, "Einsum");

        // Reductions.
        Add(ReductionRules.Reduce, "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
            "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
        Add(ReductionRules.ArgReduce, "ArgMax", "ArgMin");
        Add(ReductionRules.TopK, "TopK");

        // Networks.
        Add(ConvolutionRules.Conv, "Conv");
        Add(ConvolutionRules.ConvTranspose, "ConvTranspose");
        Add(ConvolutionRules.QLinearConv, "QLinearConv");
        Add(ConvolutionRules.ConvInteger, "ConvInteger");
        Add(PoolingRules.Pool, "MaxPool", "AveragePool", "LpPool");
        Add(PoolingRules.GlobalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool");
        Add(NormalizationRules.BatchNormalization, "BatchNormalization");
        Add(NormalizationRules.LayerNormalization, "LayerNormalization");
        Add(MatMulRules.MatMul, "MatMul");
        Add(MatMulRules.MatMulInteger, "MatMulInteger");
        Add(MatMulRules.QLinearMatMul, "QLinearMatMul");
        Add(MatMulRules.Gemm, "Gemm");
        Add(RecurrentRules.Recurrent, "LSTM", "GRU", "RNN");

        // Quantization.
        Add(QuantizationRules.QuantizeLinear, "QuantizeLinear");
        Add(QuantizationRules.DequantizeLinear, "DequantizeLinear");
        Add(QuantizationRules.DynamicQuantizeLinear, "DynamicQuantizeLinear");

        // Control flow: the subgraphs are inferred with the node.
        Add(ControlFlowRules.If, "If");
        Add(ControlFlowRules.Loop, "Loop");
        Add(ControlFlowRules.Scan, "Scan");
        return r;
    }
}
