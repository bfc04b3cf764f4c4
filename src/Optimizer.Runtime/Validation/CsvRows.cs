namespace Optimizer.Runtime.Validation;

/// <summary>
/// A CSV file's rows written as samples run, its header before the first row: a run with no rows to give (a detector's
/// predictions.csv, readings.csv without text labels) writes nothing at all, and the caller drops the empty file.
/// </summary>
public sealed class CsvRows(TextWriter writer, string header)
{
    public int Count { get; private set; }

    public void Add(string line)
    {
        if (Count++ == 0) writer.WriteLine(header);
        writer.WriteLine(line);
    }
}
