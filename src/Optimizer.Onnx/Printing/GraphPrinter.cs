using System.Text;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Printing;

/// <summary>
/// A stable text form of a model or graph for golden tests and debugging: one line per input, initializer and
/// node, subgraphs indented under their node. The same graph always prints the same text.
/// </summary>
public static class GraphPrinter
{
    public static string Print(Model model)
    {
        var sb = new StringBuilder();
        sb.Append("model ir=").Append(model.IrVersion).Append(" opsets=").AppendJoin(",", model.OpsetImports).Append('\n');
        Print(model.Graph, sb, 0);
        foreach (var f in model.Functions)
        {
            sb.Append("function ").Append(f.Domain).Append('.').Append(f.Name);
            if (f.AttributeNames.Count > 0) sb.Append(" <").AppendJoin(",", f.AttributeNames).Append('>');
            sb.Append('\n');
            Print(f.Body, sb, 1);
        }
        return sb.ToString();
    }

    public static string Print(Graph graph)
    {
        var sb = new StringBuilder();
        Print(graph, sb, 0);
        return sb.ToString();
    }

    private static void Print(Graph g, StringBuilder sb, int depth)
    {
        var pad = new string(' ', depth * 2);
        sb.Append(pad).Append("graph ").Append(g.Name).Append(" (\n");
        foreach (var v in g.Inputs.Where(v => !v.IsInitializer))
            sb.Append(pad).Append("  in  %").Append(v.Name).Append(": ").Append(v.Type?.ToString() ?? "?").Append('\n');
        foreach (var v in g.Initializers)
            sb.Append(pad).Append(v.IsGraphInput ? "  in  init %" : "  init %").Append(v.Name).Append(": ")
              .Append(v.Initializer!.ElementType.ShortName()).Append('[').AppendJoin(",", v.Initializer.Dims).Append("]\n");
        sb.Append(pad).Append(") {\n");
        foreach (var n in g.Nodes)
        {
            sb.Append(pad).Append("  ");
            sb.AppendJoin(", ", n.Outputs.Select(o => o is null ? "_" : "%" + o.Name + TypeSuffix(o)));
            sb.Append(" = ");
            if (!n.IsDefaultDomain) sb.Append(n.Domain).Append('.');
            sb.Append(n.OpType).Append('(').AppendJoin(", ", n.Inputs.Select(i => i is null ? "_" : "%" + i.Name)).Append(')');
            var plain = n.Attributes.Where(a => !a.Subgraphs.Any()).ToList();
            if (plain.Count > 0) sb.Append(" {").AppendJoin(", ", plain.Select(a => a.Name + "=" + a)).Append('}');
            if (n.Name.Length > 0) sb.Append("  # ").Append(n.Name);
            sb.Append('\n');
            foreach (var a in n.Attributes)
                foreach (var sub in a.Subgraphs)
                {
                    sb.Append(pad).Append("    ").Append(a.Name).Append(":\n");
                    Print(sub, sb, depth + 3);
                }
        }
        sb.Append(pad).Append("  return ").AppendJoin(", ", g.Outputs.Select(o => "%" + o.Name)).Append('\n');
        sb.Append(pad).Append("}\n");
    }

    private static string TypeSuffix(Value v) => v.Type is null ? "" : ": " + v.Type;
}
