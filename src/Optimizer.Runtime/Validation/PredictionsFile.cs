using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// predictions.csv beside a validate report: the candidate's top-5 classes per sample and classifier-like output
/// (<c>sample,output,c1 c2 c3 c4 c5</c>; top-k of k = min(5, classes)), written as samples run, so a later run can be
/// compared with this one (--against) without the old model. Written only when there are rows (a classifier-like output).
/// </summary>
public static class PredictionsFile
{
    public const string FileName = "predictions.csv";
    public const string Header = "sample,output,top5";

    /// <summary>The rows of <paramref name="writer"/>: the header comes with the first, so a model with no classifier-like output writes nothing.</summary>
    public static CsvRows Rows(TextWriter writer) => new(writer, Header);

    public static string Line(string sample, string output, int[] top) => $"{Escape(sample)},{Escape(output)},{string.Join(' ', top)}";

    /// <summary>Reads the predictions next to <paramref name="reportPath"/>, keyed by (sample, output); null when there are none.</summary>
    public static Dictionary<(string Sample, string Output), int[]>? ReadBeside(string reportPath)
    {
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(reportPath))!, FileName);
        if (!File.Exists(path)) return null;
        var result = new Dictionary<(string, string), int[]>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (number++ == 0 || line.Length == 0) continue;
            var last = line.LastIndexOf(',');
            var first = line.LastIndexOf(',', Math.Max(last - 1, 0));
            if (first <= 0 || last <= first)
                throw new InvalidInputException($"{path}:{number}: expected '{Header}'");
            var classes = line[(last + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(c => int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidInputException($"{path}:{number}: bad class '{c}'"))
                .ToArray();
            result[(line[..first], line[(first + 1)..last])] = classes;
        }
        return result;
    }

    private static string Escape(string text) => text.Replace(',', '_').Replace('\n', '_');
}
