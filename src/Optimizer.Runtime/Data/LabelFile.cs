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

    /// <summary>
    /// A labels.csv line as a spreadsheet writes it: the first field (in double quotes when it holds a comma or a quote,
    /// "" standing for a quote) and the rest of the line after its comma; null when the line has no comma after it.
    /// </summary>
    private static (string First, string After)? SplitCsv(string line)
    {
        var start = line.Length - line.TrimStart().Length;
        if (start < line.Length && line[start] == '"')
        {
            var field = new System.Text.StringBuilder();
            for (var i = start + 1; i < line.Length; i++)
            {
                if (line[i] != '"') { field.Append(line[i]); continue; }
                if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; continue; }
                var comma = line.IndexOf(',', i + 1);
                return comma < 0 || line[(i + 1)..comma].Trim().Length > 0 ? null : (field.ToString(), line[(comma + 1)..]);
            }
            return null;
        }
        var at = line.IndexOf(',');
        return at <= 0 ? null : (line[..at].Trim(), line[(at + 1)..]);
    }

    /// <summary>The second field of a labels.csv line: unquoted when quoted (spaces around the quotes dropped), else as it stands.</summary>
    private static string CsvValue(string rest)
    {
        var trimmed = rest.Trim();
        return trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"' ? trimmed[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : rest;
    }

    private static LabelFile ReadTexts(string path, char separator)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in Utf8Text.ReadLines(path))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith('#')) continue;
            var at = line.IndexOfAny(['\t', ' ']);
            var split = separator == ',' ? SplitCsv(line) : at <= 0 ? null : (line[..at].Trim(), line[(at + 1)..]);
            if (split is not var (file, rest)) throw new InvalidInputException($"{path}:{lineNumber}: expected 'file{(separator == ',' ? "," : " ")}text', got '{line}'");
            var text = separator == ',' ? CsvValue(rest) : rest;
            texts[file] = text;
            texts.TryAdd(System.IO.Path.GetFileNameWithoutExtension(file), text);
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
            var parts = separator == ',' ? SplitCsv(line) is var (first, rest) ? [first, CsvValue(rest).Trim()] : [line] : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
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
