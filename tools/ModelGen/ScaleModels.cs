using Optimizer.Onnx.IR;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace ModelGen;

/// <summary>
/// Graphs that are large or deep rather than heavy, for measuring how the passes and the verifier scale with the
/// number of nodes and the depth of nesting: a chain of Identity nodes, and Ifs nested inside their then-branches.
/// </summary>
public static class ScaleModels
{
    /// <summary>x => Identity => Identity => ... => y, <paramref name="count"/> nodes long.</summary>
    public static Model IdentityChain(int count)
    {
        var (model, graph) = NewModel("identity_chain");
        var type = new TensorTypeInfo(ElementType.Float, new Shape(1, 4));
        var x = graph.AddInput("x", type);
        for (var i = 0; i < count; i++)
            x = graph.AddNode("Identity", [x], [i == count - 1 ? "y" : $"t{i}"], name: $"Identity_{i}").Output();
        x.Type = type;
        graph.AddOutput(x);
        return model;
    }

    /// <summary>
    /// An If whose then-branch holds the next If, <paramref name="depth"/> levels deep; every branch reads the main
    /// graph's x and cond (outer values), and the innermost then-branch and every else-branch add one to x.
    /// </summary>
    public static Model NestedIf(int depth)
    {
        var (model, graph) = NewModel("nested_if");
        var type = new TensorTypeInfo(ElementType.Float, new Shape(1, 4));
        var x = graph.AddInput("x", type);
        var cond = graph.AddInput("cond", new TensorTypeInfo(ElementType.Bool, Shape.Scalar));
        var one = graph.AddInitializer(Tensor.FromArray("one", [1f], 1));
        var y = graph.AddNode("If", [cond], ["y"], [Branch("then_branch", Level(1, depth, x, cond, one, type)), Branch("else_branch", Leaf("else_0", x, one, type))], name: "If_0").Output();
        y.Type = type;
        graph.AddOutput(y);
        return model;
    }

    private static Graph Level(int level, int depth, Value x, Value cond, Value one, TypeInfo type)
    {
        if (level >= depth) return Leaf($"then_{level}", x, one, type);
        var g = new Graph($"then_{level}");
        var y = g.AddNode("If", [cond], [$"y{level}"],
            [Branch("then_branch", Level(level + 1, depth, x, cond, one, type)), Branch("else_branch", Leaf($"else_{level}", x, one, type))],
            name: $"If_{level}").Output();
        y.Type = type;
        g.AddOutput(y);
        return g;
    }

    private static Graph Leaf(string name, Value x, Value one, TypeInfo type)
    {
        var g = new Graph(name);
        var y = g.AddNode("Add", [x, one], [$"{name}_out"], name: $"{name}_add").Output();
        y.Type = type;
        g.AddOutput(y);
        return g;
    }

    private static Attribute Branch(string name, Graph g) => Attribute.FromGraph(name, g);

    private static (Model, Graph) NewModel(string name)
    {
        var graph = new Graph(name);
        var model = new Model(graph) { IrVersion = 8, ProducerName = "modelgen" };
        model.OpsetImports.Add(new OpsetImport("", 17));
        return (model, graph);
    }
}
