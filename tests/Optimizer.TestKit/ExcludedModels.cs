using Xunit;

namespace Optimizer.TestKit;

/// <summary>
/// An explicit list of models a suite test leaves out, each with its reason. A model that fails and is not listed
/// fails the test, and so does a listed model that now passes (the list must stay honest).
/// </summary>
public sealed class ExcludedModels
{
    private readonly Dictionary<string, string> reasons = new(StringComparer.Ordinal);

    /// <summary>Lists <paramref name="models"/> as left out for <paramref name="reason"/>.</summary>
    public ExcludedModels Add(string reason, params string[] models)
    {
        foreach (var model in models)
            if (!reasons.TryAdd(model, reason)) throw new ArgumentException($"{model} is listed twice");
        return this;
    }

    public int Count => reasons.Count;

    public IEnumerable<string> Models => reasons.Keys;

    public bool Contains(string model) => reasons.ContainsKey(model);

    public string? Reason(string model) => reasons.GetValueOrDefault(model);

    /// <summary>
    /// Fails on every model of <paramref name="failed"/> (model → what went wrong) not listed, and on every listed model
    /// of <paramref name="passed"/>; a listed model seen neither way (missing from the suite) fails as well.
    /// </summary>
    public void Check(IReadOnlyDictionary<string, string> failed, IReadOnlyCollection<string> passed, Action<string> log)
    {
        var problems = new List<string>();
        foreach (var (model, why) in failed.OrderBy(f => f.Key, StringComparer.Ordinal))
            if (!reasons.ContainsKey(model)) problems.Add($"not listed: \"{model}\", // {why}");
        foreach (var model in passed.Order(StringComparer.Ordinal))
            if (reasons.TryGetValue(model, out var reason)) problems.Add($"listed ({reason}) but passes: {model}");
        var seen = failed.Keys.Concat(passed).ToHashSet(StringComparer.Ordinal);
        foreach (var model in reasons.Keys.Order(StringComparer.Ordinal))
            if (!seen.Contains(model)) problems.Add($"listed but not in the suite: {model}");
        foreach (var p in problems) log(p);
        Assert.True(problems.Count == 0, $"{problems.Count} models disagree with the exclusion list:\n" + string.Join("\n", problems.Take(40)));
    }
}
