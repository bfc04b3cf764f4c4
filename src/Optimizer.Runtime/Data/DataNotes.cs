namespace Optimizer.Runtime.Data;

/// <summary>
/// Notes about how data is read (the size images are read at when the model leaves it open), each written once per
/// command to the writer <see cref="To"/> installed: the same folder is opened several times in one run
/// (calibration, the method comparison, --validate), and the note belongs on stderr once.
/// </summary>
public static class DataNotes
{
    private static readonly AsyncLocal<Sink?> Current = new();

    /// <summary>Sends notes to <paramref name="writer"/> until the result is disposed.</summary>
    public static IDisposable To(TextWriter writer)
    {
        var previous = Current.Value;
        Current.Value = new Sink(writer);
        return new Restore(previous);
    }

    /// <summary>Writes <paramref name="note"/> (without its "note: ") unless it was written already; nowhere when no writer is installed.</summary>
    public static void Write(string note)
    {
        if (Current.Value is not { } sink) return;
        lock (sink.Seen)
        {
            if (sink.Seen.Add(note)) sink.Writer.WriteLine($"note: {note}");
        }
    }

    private sealed record Sink(TextWriter Writer)
    {
        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Restore(Sink? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
