using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Tensor = Optimizer.Onnx.IR.Tensor;

namespace Optimizer.Passes.Folding;

/// <summary>
/// Evaluates one node on constant inputs exactly as ONNX Runtime would: a one-node model holding the inputs as
/// initializers, run with graph optimizations off, whose outputs are read back as tensors.
/// </summary>
public sealed class ConstantEvaluator
{
    /// <summary>The node's outputs (null where the node has no such output), or a reason it cannot be evaluated.</summary>
    public (IReadOnlyList<Tensor?>? Outputs, string? Failure) Evaluate(Node node, IReadOnlyList<Tensor?> inputs, Model owner)
    {
        var graph = new Graph("fold");
        var values = inputs.Select((t, i) => t is null ? null : graph.AddInitializer(t.Clone($"input_{i}"))).ToList();
        var outputNames = node.Outputs.Select((o, i) => o is null ? "" : $"output_{i}").ToArray();
        var copy = new Node(node.OpType, values, outputNames, node.Domain);
        foreach (var a in node.Attributes) copy.SetAttribute(a);
        graph.Append(copy);
        foreach (var o in copy.Outputs) if (o is not null) graph.AddOutput(o);
        // IR 4 and later keep initializers out of the graph inputs, as this model does.
        var model = new Model(graph) { IrVersion = Math.Max(owner.IrVersion, 4) };
        foreach (var o in owner.OpsetImports) model.OpsetImports.Add(new OpsetImport(o.Domain, o.Version));
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            using var session = new InferenceSession(ModelWriter.ToBytes(model), options);
            var names = session.OutputNames.ToArray();
            using var run = new RunOptions();
            using var results = session.Run(run, [], [], names);
            var byName = new Dictionary<string, Tensor>();
            for (var i = 0; i < names.Length; i++)
            {
                if (ToTensor(results[i]) is not { } t) return (null, $"output {names[i]} is not a numeric tensor");
                byName[names[i]] = t;
            }
            return (outputNames.Select(n => n.Length == 0 ? null : byName[n]).ToList(), null);
        }
        catch (OnnxRuntimeException e)
        {
            return (null, "ONNX Runtime cannot evaluate it: " + e.Message.Split('\n')[0]);
        }
    }

    private static Tensor? ToTensor(OrtValue value)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR) return null;
        var info = value.GetTensorTypeAndShape();
        var type = (ElementType)(int)info.ElementDataType;
        if (type == ElementType.String) return null;
        var bytes = value.GetTensorMutableRawData().ToArray();
        return Tensor.FromBytes("folded", type, info.Shape, bytes);
    }
}
