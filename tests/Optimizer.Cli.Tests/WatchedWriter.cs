namespace Optimizer.Cli.Tests;

/// <summary>
/// A writer that notices a text and then runs <c>onSeen</c> once (to fail, cancel or interrupt the run at that point).
/// Writes may come from several threads.
/// </summary>
internal sealed class WatchedWriter(string text, Action? onSeen = null) : StringWriter
{
    public ManualResetEventSlim Seen { get; } = new();

    public override void Write(char value)
    {
        lock (this) base.Write(value);
        Check();
    }

    public override void Write(string? value)
    {
        lock (this) base.Write(value);
        Check();
    }

    public override string ToString()
    {
        lock (this) return base.ToString();
    }

    private void Check()
    {
        lock (this)
        {
            if (Seen.IsSet || !base.ToString().Contains(text, StringComparison.Ordinal)) return;
            Seen.Set();
        }
        onSeen?.Invoke();
    }
}
