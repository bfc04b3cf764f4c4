using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Class labels of a data set: <c>labels.txt</c> (<c>file index</c> per line, whitespace-separated) or
/// <c>labels.csv</c> (<c>file,index</c>, an optional header). A sample is found by its file name with or without extension.
/// </summary>
public sealed class LabelFile
{
    private readonly Dictionary<string, int> _labels;

    private LabelFile(Dictionary<string, int> labels) => _labels = labels;

    public int Count => _labels.Count;

    public static LabelFile? ReadIfPresent(string folder)
    {
        foreach (var (name, separator) in new[] { ("labels.csv", ','), ("labels.txt", ' ') })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return Read(path, separator);
        }
        return null;
    }

    public int? Find(string sampleId)
    {
        if (_labels.TryGetValue(sampleId, out var label)) return label;
        return _labels.TryGetValue(Path.GetFileNameWithoutExtension(sampleId), out label) ? label : null;
    }

    private static LabelFile Read(string path, char separator)
    {
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = separator == ',' ? line.Split(',', StringSplitOptions.TrimEntries) : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) || index < 0)
            {
                if (lineNumber == 1 && separator == ',') continue; // a header row
                throw new InvalidInputException($"{path}:{lineNumber}: expected 'file{separator}class-index', got '{line}'");
            }
            labels[parts[0]] = index;
            labels.TryAdd(Path.GetFileNameWithoutExtension(parts[0]), index);
        }
        return new LabelFile(labels);
    }
}
