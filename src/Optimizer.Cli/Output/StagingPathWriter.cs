using System.Text;

namespace Optimizer.Cli.Output;

/// <summary>
/// What a run prints, with paths in its staging folder given as the paths in OUT where the files end up
/// (<see cref="OutputTransaction.Published"/>). Line by line; with <c>deferred</c>, the lines are kept until
/// <see cref="Release"/> (the run's results on stdout are printed once they are published, never for a run that failed).
/// </summary>
public sealed class StagingPathWriter(TextWriter inner, OutputTransaction transaction, bool deferred = false) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _kept = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_line)
        {
            _line.Append(value);
            if (value is '\n' or '\r') Emit();
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        lock (_line)
        {
            _line.Append(value);
            if (value.Contains('\n') || value.Contains('\r')) Emit();
        }
    }

    public override void Flush()
    {
        lock (_line)
        {
            Emit();
            if (!deferred) inner.Flush();
        }
    }

    /// <summary>Prints what was kept (deferred), now that the files it describes are in OUT.</summary>
    public void Release()
    {
        lock (_line)
        {
            Emit();
            inner.Write(_kept.ToString());
            _kept.Clear();
            inner.Flush();
        }
    }

    private void Emit()
    {
        if (_line.Length == 0) return;
        var text = transaction.Published(_line.ToString());
        _line.Clear();
        if (deferred) _kept.Append(text);
        else inner.Write(text);
    }
}
