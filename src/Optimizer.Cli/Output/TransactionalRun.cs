namespace Optimizer.Cli.Output;

/// <summary>
/// A command whose outputs go to one folder (<c>engine -o</c>, <c>bench --report</c>, <c>validate --report</c>) run as
/// an <see cref="OutputTransaction"/>: the folder is taken for the run, the files are written to its staging folder
/// and published together at the end, so a failed or interrupted run leaves the folder (and a --junit file elsewhere)
/// as it was. What the run prints names the published paths; its stdout appears once the files are in place.
/// </summary>
public static class TransactionalRun
{
    /// <param name="body">Given the transaction (opened: files go to <see cref="OutputTransaction.Staging"/>) and the
    /// writers to print with; returns the exit code. The files are published whatever the code (a failed gate's report
    /// is the output); an exception publishes nothing unless <paramref name="publishAnyway"/> says the files are
    /// wanted (a trtexec failure's log, say).</param>
    public static async Task<int> RunAsync(string folder, TextWriter stdout, TextWriter stderr, CancellationToken cancel,
        Func<OutputTransaction, TextWriter, TextWriter, Task<int>> body, Func<Exception, bool>? publishAnyway = null)
    {
        using var transaction = new OutputTransaction(folder, wait: false, stderr);
        var stagedOut = new StagingPathWriter(stdout, transaction, deferred: true);
        var stagedErr = new StagingPathWriter(stderr, transaction);
        transaction.Open(cancel);
        int code;
        try
        {
            code = await body(transaction, stagedOut, stagedErr);
        }
        catch (Exception e) when (publishAnyway?.Invoke(e) == true)
        {
            var shown = PublishAnyway(transaction, stagedOut, stagedErr, e, cancel);
            if (ReferenceEquals(shown, e)) throw; // keeps its stack trace
            throw shown;
        }
        Publish(transaction, stagedOut, stagedErr, cancel);
        return code;
    }

    /// <summary>
    /// Publishes the files of a run that failed but whose files are wanted (trtexec's log, say), and returns the
    /// failure to throw: a tool's failure names the published paths, since the staging folder it wrote to is gone.
    /// </summary>
    public static Exception PublishAnyway(OutputTransaction transaction, StagingPathWriter stdout, StagingPathWriter stderr, Exception e, CancellationToken cancel)
    {
        var shown = e is Onnx.Errors.ExternalToolException tool ? new Onnx.Errors.ExternalToolException(transaction.Published(tool.Message), tool) : e;
        Publish(transaction, stdout, stderr, cancel);
        return shown;
    }

    public static void Publish(OutputTransaction transaction, StagingPathWriter stdout, StagingPathWriter stderr, CancellationToken cancel)
    {
        stderr.Flush();
        transaction.Publish(cancel);
        stdout.Release();
    }
}
