using Optimizer.Onnx.Protobuf;

namespace FakeTrtexec;

/// <summary>A node TensorRT's ONNX parser refused, with the parser's message.</summary>
internal sealed record ImportError(int NodeIndex, NodeProto Node, string Message);

/// <summary>
/// What onnx-tensorrt refuses (TRTEXEC.md §3): operators without an importer, and Q/DQ that TensorRT cannot run:
/// non-zero or UINT8 zero points, scales that are not constant and strictly positive, per-channel scales on
/// activations or whose length is not dim[axis].
/// </summary>
internal static class OnnxChecks
{
    private static readonly HashSet<string> Supported =
    [
        "Abs", "Acos", "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip",
        "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "CumSum", "DepthToSpace",
        "DequantizeLinear", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor",
        "Gather", "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater",
        "GreaterOrEqual", "GroupNormalization", "GRU", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization",
        "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "LRN", "LSTM", "MatMul", "Max",
        "MaxPool", "Mean", "Min", "Mod", "Mul", "Neg", "NonZero", "Not", "Or", "Pad", "Pow", "PRelu", "QuantizeLinear",
        "Range", "Reciprocal", "ReduceL2", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "Relu",
        "Reshape", "Resize", "RNN", "ScatterElements", "ScatterND", "Selu", "Shape", "Sigmoid", "Sign", "Sin", "Size",
        "Slice", "Softmax", "Softplus", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile",
        "TopK", "Transpose", "Unsqueeze", "Upsample", "Where", "Xor", "If", "Loop", "Scan", "NonMaxSuppression", "RoiAlign",
        "Trilu", "Round", "Tan", "Asin", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Softsign", "ThresholdedRelu",
        "Celu", "IsNaN", "IsInf", "Shrink", "OneHot", "ReverseSequence", "EyeLike", "RandomUniform", "RandomNormal",
        "RandomUniformLike", "RandomNormalLike", "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1", "ReduceLogSum",
        "GlobalLpPool", "LpNormalization", "LpPool", "MeanVarianceNormalization", "Hardmax", "Mish", "Compress", "Det",
    ];

    public static ImportError? Check(OnnxNetwork network)
    {
        var index = 0;
        foreach (var node in network.Nodes)
        {
            var message = !Supported.Contains(node.OpType)
                ? $"No importer registered for op: {node.OpType}. Attempting to import as plugin."
                : OnnxNetwork.IsQdq(node) ? CheckQdq(network, node) : null;
            if (message is not null) return new ImportError(index, node, message);
            index++;
        }
        return null;
    }

    private static string? CheckQdq(OnnxNetwork network, NodeProto node)
    {
        const string where = "onnxOpImporters.cpp:1180 In function QuantDequantLinearHelper:\n[6] Assertion failed: ";
        if (node.Input.Count < 2 || !network.Constants.TryGetValue(node.Input[1], out var scale))
            return where + "scaleInput.is_weights() && \"The scale tensor is required to be an initializer.\"";
        var scales = TensorValues.Read(scale);
        if (scales.Any(s => !(s > 0)))
            return where + "scaleAllPositive && \"Scale coefficients must all be positive\"";
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            if (!network.Constants.TryGetValue(node.Input[2], out var zeroPoint))
                return where + "zeroPtInput.is_weights() && \"The zero point tensor is required to be an initializer.\"";
            if (zeroPoint.DataType == (int)TensorProto.Types.DataType.Uint8)
                return where + "zeroPoint.getType() == DataType::kINT8 && \"TensorRT only supports INT8 zero points (UINT8 is not supported).\"";
            if (TensorValues.Read(zeroPoint).Any(z => z != 0))
                return where + "shiftIsAllZeros(zeroPoint) && \"TensorRT only supports symmetric quantization. The zero point for the QuantizeLinear/DequantizeLinear operator must be all zeros.\"";
        }
        var perChannel = scale.Dims.Count == 1 && scale.Dims[0] > 1;
        if (!perChannel) return null;
        if (!network.IsConstant(node.Input[0]))
            return where + "isWeights && \"Per-channel quantization is only supported for weights; activations must be quantized per-tensor.\"";
        var axis = node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0; // TRTEXEC.md §3: default axis 0 (K of KCRS weights)
        var data = network.Constants.GetValueOrDefault(node.Input[0]) ?? network.Constants.GetValueOrDefault(network.ProducerOf(node.Input[0])?.Input[0] ?? "");
        if (data is not null && axis >= 0 && axis < data.Dims.Count && data.Dims[(int)axis] != scale.Dims[0])
            return where + $"scaleSize == K && \"The number of scales ({scale.Dims[0]}) is not equal to dim[{axis}] ({data.Dims[(int)axis]}).\"";
        return null;
    }
}
