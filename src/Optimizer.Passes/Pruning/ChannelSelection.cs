using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Pruning;

/// <summary>
/// A group of layers whose channels are tied (joined atoms), what was removed from it, and why not more. A unit is a
/// set of tied channels, one per member layer or more; it is scored by its members' combined norm.
/// </summary>
public sealed record ChannelGroup
{
    public required int Id { get; init; }
    public required IReadOnlyList<string> Layers { get; init; }
    public required int Units { get; init; }
    public required int Prunable { get; init; }
    public required int Removed { get; init; }
    /// <summary>The largest score removed (amount), or the threshold given; null when nothing went.</summary>
    public double? Threshold { get; init; }
    /// <summary>Why the group was left alone or pruned less than asked; null when pruned as asked.</summary>
    public string? Reason { get; init; }
}

/// <summary>Chooses the units to remove from an analysis: below the threshold, or the smallest fraction of each group.</summary>
public static class ChannelSelection
{
    /// <summary>The atoms' roots chosen for removal, and the groups with their figures.</summary>
    public static (HashSet<int> Removed, IReadOnlyList<ChannelGroup> Groups) Choose(ChannelAnalysis analysis, PruningSettings settings)
    {
        var atoms = analysis.Atoms;
        var layers = analysis.Layers;
        // Layers joined through any unit form one group.
        var layerOf = new Dictionary<int, int>();
        for (var l = 0; l < layers.Count; l++)
            foreach (var a in layers[l].Atoms) layerOf[a] = l;
        var units = new Dictionary<int, List<int>>();
        for (var a = 0; a < atoms.Count; a++)
        {
            var root = atoms.Find(a);
            if (!units.TryGetValue(root, out var list)) units[root] = list = [];
            list.Add(a);
        }
        var groupOf = Enumerable.Range(0, layers.Count).ToArray();
        int FindGroup(int l) => groupOf[l] == l ? l : groupOf[l] = FindGroup(groupOf[l]);
        foreach (var members in units.Values)
        {
            var ls = members.Where(layerOf.ContainsKey).Select(a => layerOf[a]).Distinct().ToList();
            foreach (var l in ls.Skip(1)) groupOf[FindGroup(l)] = FindGroup(ls[0]);
        }
        var segmentsOf = new Dictionary<int, List<int>>();
        for (var s = 0; s < analysis.Segments.Count; s++)
            foreach (var a in analysis.Segments[s])
            {
                if (!segmentsOf.TryGetValue(a, out var list)) segmentsOf[a] = list = [];
                list.Add(s);
            }
        var kept = analysis.Segments.Select(s => s.Length).ToArray();
        var removedPerLayer = new int[layers.Count];
        var removed = new HashSet<int>();
        var groups = new List<ChannelGroup>();
        var byGroup = units.Where(u => u.Value.Any(layerOf.ContainsKey))
            .GroupBy(u => FindGroup(layerOf[u.Value.First(layerOf.ContainsKey)]))
            .OrderBy(g => g.Key);
        foreach (var group in byGroup)
        {
            var all = group.ToList();
            var prunable = all.Where(u => atoms.PinReason(u.Key) is null)
                .Select(u => (Root: u.Key, Atoms: u.Value, Score: atoms.Norm(u.Key, settings.Norm)))
                .OrderBy(u => u.Score).ThenBy(u => u.Root).ToList();
            var names = group.SelectMany(u => u.Value).Where(layerOf.ContainsKey).Select(a => layerOf[a]).Distinct().Order()
                .Select(l => layers[l].Node.Name).ToList();
            var spared = names.Any(settings.Spared.Contains);
            var count = spared ? 0
                : settings.Threshold is { } t ? prunable.Count(u => u.Score < t)
                : (int)Math.Round((settings.Amount ?? 0) * prunable.Count, MidpointRounding.AwayFromZero);
            var wanted = prunable.Take(RoundToMultiple(count, all.Count, settings.ChannelMultiple)).ToList();
            var taken = 0;
            double? highest = null;
            string? limit = null;
            foreach (var unit in wanted)
            {
                if (WhyNot(unit.Atoms) is { } why)
                {
                    limit ??= why;
                    continue;
                }
                foreach (var a in unit.Atoms)
                {
                    foreach (var s in segmentsOf.GetValueOrDefault(a) ?? []) kept[s]--;
                    if (layerOf.TryGetValue(a, out var l)) removedPerLayer[l]++;
                }
                removed.Add(unit.Root);
                highest = unit.Score;
                taken++;
            }
            var reason = prunable.Count == 0 ? atoms.PinReason(all[0].Key)
                : spared ? "kept whole: the accuracy budget spares it (among the most sensitive groups)"
                : taken == 0 && wanted.Count == 0 ? (settings.Threshold is { } th ? $"no channel's norm is below {th:G4}" : "the amount rounds to no channel")
                : limit;
            groups.Add(new ChannelGroup
            {
                Id = groups.Count,
                Layers = names,
                Units = all.Count,
                Prunable = prunable.Count,
                Removed = taken,
                Threshold = settings.Threshold ?? highest,
                Reason = reason,
            });
        }
        return (removed, groups);

        string? WhyNot(List<int> unit)
        {
            foreach (var byLayer in unit.Where(layerOf.ContainsKey).GroupBy(a => layerOf[a]))
            {
                var channels = layers[byLayer.Key].Atoms.Length;
                if (settings.MaxPerLayer is { } max && removedPerLayer[byLayer.Key] + byLayer.Count() > Math.Floor(max * channels + 1e-9))
                    return $"--prune-max-per-layer {max:G4} bounds {layers[byLayer.Key].Node.Name}";
            }
            foreach (var s in unit.SelectMany(a => segmentsOf.GetValueOrDefault(a) ?? []).Distinct())
                if (kept[s] - unit.Count(a => segmentsOf.GetValueOrDefault(a)?.Contains(s) == true) < 1)
                    return "a layer (or Split/Slice output) keeps at least one channel";
            return null;
        }
    }

    /// <summary>
    /// How many of <paramref name="units"/> to remove so that the kept count is the multiple of <paramref name="multiple"/>
    /// nearest to what was asked (half-way rounds up, so less is removed), never below one multiple. The caller caps it
    /// at the prunable units.
    /// </summary>
    private static int RoundToMultiple(int remove, int units, int multiple)
    {
        if (multiple <= 1 || remove == 0 || units <= multiple) return remove;
        var asked = units - remove;
        var kept = Math.Max(multiple, (asked + multiple / 2) / multiple * multiple);
        return Math.Max(0, units - Math.Min(units, kept));
    }

    /// <summary>Announces each group's outcome: a step for those pruned, a decline (with its reason) for the others.</summary>
    public static void Announce(IReadOnlyList<ChannelGroup> groups, PassContext context)
    {
        foreach (var g in groups)
        {
            var subject = g.Layers.Count == 1 ? g.Layers[0] : $"group {g.Id} ({string.Join(", ", g.Layers.Take(4))}{(g.Layers.Count > 4 ? ", …" : "")})";
            if (g.Removed == 0) context.Decline(subject, g.Reason ?? "nothing to remove");
            else if (g.Reason is not null) context.Decline(subject, $"{g.Removed} of {g.Units} channels removed, no more: {g.Reason}");
        }
    }
}
