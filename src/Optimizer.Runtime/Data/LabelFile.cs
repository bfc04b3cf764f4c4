using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Class labels of a data set: <c>labels.txt</c> (<c>file index</c> per line, whitespace-separated) or
/// <c>labels.csv</c> (<c>file,index</c>, an optional header). A sample is found by its file name with or without extension.
/// With a <see cref="CtcDictionary"/> in the folder the labels are text instead (<c>file text</c>, the text being the
/// rest of the line after the first tab or space; <c>file,text</c>): the true reading of a text line.
/// </summary>
public sealed class LabelFile
{
    private readonly Dictionary<string, int> _labels;
    private readonly Dictionary<string, string> _texts;

    private LabelFile(string path, Dictionary<string, int> labels, Dictionary<string, string> texts) => (Path, _labels, _texts) = (path, labels, texts);

    /// <summary>The file the labels were read from.</summary>
    public string Path { get; }

    public int Count => _labels.Count + _texts.Count;

    /// <param name="text">The labels are true text (the folder has a <see cref="CtcDictionary"/>), not class indices.</param>
    public static LabelFile? ReadIfPresent(string folder, bool text = false)
    {
        foreach (var (name, separator) in new[] { ("labels.csv", ','), ("labels.txt", ' ') })
        {
            var path = System.IO.Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            if (name == "labels.csv" && File.Exists(System.IO.Path.Combine(folder, "labels.txt")))
                DataNotes.Write($"{folder}: both labels.csv and labels.txt are here; labels.csv is read, labels.txt is not");
            return text ? ReadTexts(path, separator) : Read(path, separator);
        }
        return null;
    }

    public int? Find(string sampleId)
    {
        if (_labels.TryGetValue(sampleId, out var label)) return label;
        return _labels.TryGetValue(System.IO.Path.GetFileNameWithoutExtension(sampleId), out label) ? label : null;
    }

    /// <summary>The true text of a sample (text labels only).</summary>
    public string? FindText(string sampleId) =>
        _texts.TryGetValue(sampleId, out var text) || _texts.TryGetValue(System.IO.Path.GetFileNameWithoutExtension(sampleId), out text) ? text : null;

    /// <summary>A CSV field without the double quotes a spreadsheet writes around it ("a.png" → a.png).</summary>
    private static string Unquoted(string field) =>
        field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : field;

    private static LabelFile ReadTexts(string path, char separator)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in Utf8Text.ReadLines(path))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith('#')) continue;
            var at = separator == ',' ? line.IndexOf(',') : line.IndexOfAny(['\t', ' ']);
            if (at <= 0) throw new InvalidInputException($"{path}:{lineNumber}: expected 'file{(separator == ',' ? "," : " ")}text', got '{line}'");
            var file = line[..at].Trim();
            texts[file] = line[(at + 1)..];
            texts.TryAdd(System.IO.Path.GetFileNameWithoutExtension(file), line[(at + 1)..]);
        }
        return new LabelFile(path, [], texts);
    }

    private static LabelFile Read(string path, char separator)
    {
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in Utf8Text.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = separator == ',' ? line.Split(',', StringSplitOptions.TrimEntries).Select(Unquoted).ToArray() : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) || index < 0)
            {
                if (lineNumber == 1 && separator == ',') continue; // a header row
                throw new InvalidInputException($"{path}:{lineNumber}: expected 'file{separator}class-index', got '{line}'"
                                                + (parts.Length >= 2 ? $" (text labels, a recognizer's true text, need the {CtcDictionary.FileName} of its classes beside them)" : ""));
            }
            labels[parts[0]] = index;
            labels.TryAdd(System.IO.Path.GetFileNameWithoutExtension(parts[0]), index);
        }
        return new LabelFile(path, labels, []);
    }
}
