namespace Optimizer.Runtime.Validation;

/// <summary>
/// readings.csv beside a validate report of a text recognizer (data with a dictionary.txt): per line, the true text and
/// what each model read (greedy CTC), and whether each read it exactly (texts compared trimmed of leading and trailing
/// whitespace: a space read in the white padding around a line is no misreading) — the lines a quantized recognizer
/// misreads, one by one. Texts are always quoted (RFC 4180), so a leading or trailing space stays visible.
/// </summary>
public static class ReadingsFile
{
    public const string FileName = "readings.csv";
    public const string Header = "sample,truth,baseline,candidate,baseline_exact,candidate_exact";

    /// <summary>The rows of <paramref name="writer"/>: the header comes with the first, so a run that reads no text writes nothing.</summary>
    public static CsvRows Rows(TextWriter writer) => new(writer, Header);

    /// <summary>One line's row.</summary>
    public static string Line(string sample, string truth, string baseline, string candidate) =>
        string.Join(',', Quote(sample), Quote(truth), Quote(baseline), Quote(candidate),
            TextMatch.Exact(baseline, truth) ? "1" : "0", TextMatch.Exact(candidate, truth) ? "1" : "0");

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"") + "\"";
}
