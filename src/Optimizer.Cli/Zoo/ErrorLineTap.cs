using System.Text;

namespace Optimizer.Cli.Zoo;

/// <summary>Passes a job's stderr through and keeps its last <c>error: </c> line (without the prefix) for the zoo report.</summary>
internal sealed class ErrorLineTap(TextWriter inner) : TextWriter
{
    private const string Prefix = "error: ";
    private readonly StringBuilder _line = new();

    public string? LastError { get; private set; }

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        inner.Write(value);
        if (value == '\n') Take();
        else _line.Append(value);
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "") Write(c);
    }

    public override void Flush() => inner.Flush();

    /// <summary>The last error line of <paramref name="text"/> (a child process's whole stderr).</summary>
    public static string? LastErrorOf(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal))?[Prefix.Length..];

    private void Take()
    {
        var line = _line.ToString().TrimEnd('\r');
        if (line.StartsWith(Prefix, StringComparison.Ordinal)) LastError = line[Prefix.Length..];
        _line.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Take();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
