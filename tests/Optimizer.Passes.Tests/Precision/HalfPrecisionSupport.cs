using Optimizer.Onnx.IR;
using Optimizer.Onnx.Verification;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>Runs the half-precision passes as the CLI does (verifier after each) and checks the graph rules every converted model must meet.</summary>
public static class HalfPrecisionSupport
{
    public static (HalfPrecisionResult Result, PassContext Context) Convert(Model model, HalfPrecisionSettings settings)
    {
        var conversion = new HalfPrecisionConversion(settings);
        var context = new PassContext(new PassOptions { Verify = true });
        PassRunner.Run(model, HalfPrecisionPasses.For(conversion), context);
        Assert.Empty(ModelVerifier.Verify(model));
        AssertTypeRules(model);
        return (conversion.Result!, context);
    }

    /// <summary>
    /// ONNX's type rules as far as the conversion can break them: every node's float inputs of one type variable agree
    /// (checked for the elementwise and matrix ops), no Cast reads a Cast back to the type that Cast read, and the
    /// nodes are in topological order (every input defined before it is read).
    /// </summary>
    public static void AssertTypeRules(Model model)
    {
        foreach (var graph in model.Graph.AllGraphs())
        {
            var defined = new HashSet<Value>(graph.Inputs.Concat(graph.Initializers));
            for (var g = graph.Parent; g is not null; g = g.Parent) defined.UnionWith(g.DefinedValues());
            foreach (var node in graph.Nodes)
            {
                foreach (var input in node.Inputs)
                    if (input is not null && input.Graph == graph)
                        Assert.True(defined.Contains(input), $"{node} reads '{input.Name}' before it is defined");
                if (node.OpType is "Add" or "Sub" or "Mul" or "Div" or "MatMul" or "Gemm" or "Conv" or "Concat" or "Where" or "Max" or "Min")
                {
                    var types = node.Inputs.Skip(node.OpType == "Where" ? 1 : 0).Where(v => v is not null && (v.ElementType is ElementType.Float or ElementType.Float16 or ElementType.BFloat16))
                        .Select(v => v!.ElementType).Distinct().ToList();
                    Assert.True(types.Count <= 1, $"{node} mixes {string.Join(", ", types)}");
                }
                if (node.OpType == "Cast" && node.Input(0)?.Producer is { OpType: "Cast" } inner && inner.Input(0) is { } origin)
                    Assert.False(origin.ElementType == (ElementType)node.GetInt("to", 0) && CastCleanup.IsExactWidening(origin.ElementType, node.Input(0)!.ElementType),
                        $"{inner} -> {node} is a round trip that cancels");
                foreach (var output in node.Outputs)
                    if (output is not null) defined.Add(output);
            }
        }
    }

    /// <summary>Cosine similarity of two outputs (1 for two all-zero tensors).</summary>
    public static double Cosine(TestTensor expected, TestTensor actual)
    {
        var (a, b) = (expected.AsDoubles(), actual.AsDoubles());
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 && nb == 0 ? 1 : dot / Math.Sqrt(na * nb);
    }

    public static double MaxAbsDiff(TestTensor expected, TestTensor actual) =>
        expected.AsDoubles().Zip(actual.AsDoubles(), (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
}
