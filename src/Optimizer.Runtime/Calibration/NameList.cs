namespace Optimizer.Runtime.Calibration;

/// <summary>Names quoted for one line of a message: the first few, then "and N more".</summary>
public static class NameList
{
    public const int Shown = 10;

    public static string Format(IReadOnlyList<string> names)
    {
        var text = string.Join(", ", names.Take(Shown).Select(n => $"'{n}'"));
        return names.Count > Shown ? $"{text} and {names.Count - Shown} more" : text;
    }
}
