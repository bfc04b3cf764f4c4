using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The characters of a text recognizer's classes, from <c>dictionary.txt</c> in a data folder (one entry a line, as
/// PaddleOCR's keys files): class 0 is the CTC blank, class i (1..n) line i, and a model with n + 2 classes reads its
/// last class as a space (PaddleOCR's <c>use_space_char</c>). With it, the folder's labels are the true text of each
/// sample, and <c>validate</c> measures how many lines each model reads exactly.
/// </summary>
public sealed class CtcDictionary
{
    public const string FileName = "dictionary.txt";

    private readonly IReadOnlyList<string> _entries;
    private readonly string _path;

    private CtcDictionary(IReadOnlyList<string> entries, string path) => (_entries, _path) = (entries, path);

    public int Count => _entries.Count;

    public static CtcDictionary? ReadIfPresent(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        var entries = Utf8Text.ReadLines(path).Select(l => l.TrimEnd('\r')).ToList();
        while (entries.Count > 0 && entries[^1].Length == 0) entries.RemoveAt(entries.Count - 1);
        if (entries.Count == 0) throw new InvalidInputException($"{path}: empty; expected one character (or token) a line");
        return new CtcDictionary(entries, path);
    }

    /// <summary>Whether an output of <paramref name="classes"/> classes reads with this dictionary (blank first, optional space last).</summary>
    public bool Fits(long classes) => classes == Count + 1 || classes == Count + 2;

    /// <summary>The text of greedy-decoded class ids (blank 0 already dropped) of an output of <paramref name="classes"/> classes.</summary>
    public string Text(IReadOnlyList<int> ids, long classes)
    {
        if (!Fits(classes))
            throw new InvalidInputException($"{_path}: {Count} entries, but the output has {classes} classes (expected {Count + 1}: the blank and one a line, or {Count + 2} with a space last)");
        var text = new System.Text.StringBuilder();
        foreach (var id in ids) text.Append(id >= 1 && id <= Count ? _entries[id - 1] : id == Count + 1 ? " " : "");
        return text.ToString();
    }
}
