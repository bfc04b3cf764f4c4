namespace FakeTrtexec;

/// <summary>
/// sampleOptions.cpp <c>argsToArgumentsMap</c> and <c>getAndDelOption</c>: each argument is split at its first '='
/// into a multimap; every option read removes one copy, and whatever is left is an unknown option. A flag given
/// twice therefore leaves a copy behind and fails.
/// </summary>
internal sealed class ArgumentMap
{
    private readonly List<(string Key, string Value)> _entries = [];

    public ArgumentMap(IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            var eq = arg.IndexOf('=');
            _entries.Add(eq < 0 ? (arg, "") : (arg[..eq], arg[(eq + 1)..]));
        }
    }

    public int Count => _entries.Count;

    public IReadOnlyList<(string Key, string Value)> Remaining => _entries;

    public bool Contains(string key) => _entries.Any(e => e.Key == key);

    /// <summary>Removes one copy of <paramref name="key"/> and returns its value, or null when absent.</summary>
    public string? Take(string key)
    {
        var index = _entries.FindIndex(e => e.Key == key);
        if (index < 0) return null;
        var value = _entries[index].Value;
        _entries.RemoveAt(index);
        return value;
    }

    /// <summary>A boolean option is true whatever value follows its '='.</summary>
    public bool TakeBool(string key) => Take(key) is not null;
}
