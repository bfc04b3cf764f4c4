using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Pruning;

/// <summary>How a tensor's channel axis maps to atoms: position i of axis <see cref="Axis"/> is channel atom Atoms[i].</summary>
public sealed record ChannelTrace(int[] Atoms, int Axis, int Rank);

/// <summary>A layer whose output channels are prunable: its atoms are its output channels, in order.</summary>
public sealed record PrunableLayer(Node Node, int[] Atoms);

/// <summary>
/// One change the removal of channels makes to one node. Each lists the atoms of the positions it touches, so the
/// same edit serves any choice of removed atoms.
/// </summary>
public abstract record ChannelEdit(Node Node, int[] Atoms);

/// <summary>
/// Keep only the kept positions of axis <paramref name="Axis"/> of the constant at input <paramref name="Input"/>.
/// <paramref name="Scored"/>: the constant's slices count in their channels' norms (a layer's filters and bias, a
/// depthwise filter, a per-channel bias), as opposed to a consumer's input weights.
/// </summary>
public sealed record SliceConstant(Node Node, int Input, int Axis, int[] Atoms, bool Scored = false) : ChannelEdit(Node, Atoms);

/// <summary>A depthwise Conv whose groups follow its channels: group = the channels kept.</summary>
public sealed record SetGroup(Node Node, int[] Atoms) : ChannelEdit(Node, Atoms);

/// <summary>A Split along the channel axis: each output's size becomes the count of its kept channels.</summary>
public sealed record ResizeSplit(Node Node, int[] Atoms, int[] Sizes, int Axis) : ChannelEdit(Node, Atoms);

/// <summary>A Slice along the channel axis (entry <paramref name="Entry"/> of its axes), start and end re-counted over kept channels.</summary>
public sealed record ShiftSlice(Node Node, int[] Atoms, int Entry, int Start, int End) : ChannelEdit(Node, Atoms);

/// <summary>A Reshape splitting channels into heads or merging heads back: entry <paramref name="Entry"/> of its target becomes kept × <paramref name="PerAtom"/>.</summary>
public sealed record ReshapeTarget(Node Node, int[] Atoms, int Entry, long PerAtom) : ChannelEdit(Node, Atoms);
