using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Pruning;

/// <summary>
/// Physically removes the chosen channels: every edit of the analysis is applied with the kept positions of its
/// atoms (weights, biases, per-channel constants and BatchNormalization parameters sliced into new initializers,
/// depthwise groups, Split sizes, Slice bounds, Reshape targets). The replaced constants are dropped when nothing else
/// uses them. Intermediate shapes are stale afterwards: the caller drops them.
/// </summary>
public static class ChannelRewrite
{
    public static void Apply(Model model, ChannelAnalysis analysis, HashSet<int> removedRoots)
    {
        bool Keep(int atom) => !removedRoots.Contains(analysis.Atoms.Find(atom));
        var replaced = new HashSet<Value>();
        foreach (var edit in analysis.Edits)
        {
            var keep = edit.Atoms.Select(Keep).ToArray();
            if (keep.All(k => k)) continue;
            var graph = edit.Node.Graph!;
            switch (edit)
            {
                case SliceConstant s:
                    var old = edit.Node.Input(s.Input)!;
                    var tensor = Patterns.Constant(old)!;
                    var sliced = Slice(tensor, s.Axis, keep, graph.UniqueValueName(tensor.Name + "_pruned"));
                    edit.Node.SetInput(s.Input, graph.AddInitializer(sliced));
                    replaced.Add(old);
                    break;
                case SetGroup:
                    edit.Node.SetAttribute(Attribute.FromInt("group", keep.Count(k => k)));
                    break;
                case ResizeSplit r:
                    var sizes = new long[r.Sizes.Length];
                    for (int k = 0, offset = 0; k < sizes.Length; offset += r.Sizes[k], k++)
                        sizes[k] = keep[offset..(offset + r.Sizes[k])].Count(x => x);
                    SetSplitSizes(edit.Node, sizes, model);
                    break;
                case ReshapeTarget rt:
                    replaced.Add(edit.Node.Input(1)!);
                    SetEntry(edit.Node, 1, rt.Entry, keep.Count(k => k) * rt.PerAtom);
                    break;
                case ShiftSlice sl:
                    var start = keep[..sl.Start].Count(x => x);
                    var end = start + keep[sl.Start..sl.End].Count(x => x);
                    replaced.Add(edit.Node.Input(1)!);
                    replaced.Add(edit.Node.Input(2)!);
                    SetEntry(edit.Node, 1, sl.Entry, start);
                    SetEntry(edit.Node, 2, sl.Entry, end);
                    break;
            }
        }
        foreach (var value in replaced)
            if (value.Uses.Count == 0 && value.IsInitializer && !value.IsGraphInput && !value.IsGraphOutput) value.Graph!.RemoveInitializer(value);
    }

    /// <summary>A copy of <paramref name="tensor"/> with only the positions of <paramref name="axis"/> where <paramref name="keep"/> is true.</summary>
    public static Tensor Slice(Tensor tensor, int axis, bool[] keep, string name)
    {
        var dims = tensor.Dims.ToArray();
        var size = (int)tensor.ElementType.ByteCount(1);
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b) * size;
        var outer = dims.Take(axis).Aggregate(1L, (a, b) => a * b);
        var raw = tensor.GetRawBytes().Span;
        var kept = keep.Count(k => k);
        var result = new byte[outer * kept * inner];
        long at = 0;
        for (long o = 0; o < outer; o++)
            for (var c = 0; c < keep.Length; c++)
            {
                if (!keep[c]) continue;
                raw.Slice((int)((o * keep.Length + c) * inner), (int)inner).CopyTo(result.AsSpan((int)at, (int)inner));
                at += inner;
            }
        dims[axis] = kept;
        return Tensor.FromBytes(name, tensor.ElementType, dims, result);
    }

    private static void SetSplitSizes(Node split, long[] sizes, Model model)
    {
        var graph = split.Graph!;
        if (Patterns.Opset(model) >= 13)
        {
            split.RemoveAttribute("num_outputs");
            var value = Patterns.AddInitializer(graph, (split.Name.Length > 0 ? split.Name : "split") + "_sizes", sizes, sizes.Length);
            if (split.Inputs.Count > 1) split.SetInput(1, value);
            else split.AddInput(value);
        }
        else split.SetAttribute(Attribute.FromInts("split", sizes));
    }

    private static void SetEntry(Node node, int input, int entry, long value)
    {
        var tensor = Patterns.Constant(node.Input(input))!;
        var graph = node.Graph!;
        if (tensor.ElementType == ElementType.Int32)
        {
            var data = tensor.ToArray<int>();
            data[entry] = (int)value;
            node.SetInput(input, Patterns.AddInitializer(graph, tensor.Name + "_pruned", data, data.Length));
        }
        else
        {
            var data = tensor.ToArray<long>();
            data[entry] = value;
            node.SetInput(input, Patterns.AddInitializer(graph, tensor.Name + "_pruned", data, data.Length));
        }
    }
}
