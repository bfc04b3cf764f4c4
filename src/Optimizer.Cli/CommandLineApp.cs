using System.CommandLine;
using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli;

/// <summary>
/// Builds the command tree and maps outcomes to the exit codes of DESIGN.md. User errors
/// (<see cref="OptimizerException"/>) are caught here, once, and printed as one line without a stack trace.
/// </summary>
public static class CommandLineApp
{
    /// <summary>Set to print the stack trace of an internal error.</summary>
    public const string TraceVariable = "OPTIMIZER_TRACE";

    public static RootCommand BuildRoot()
    {
        var root = OptimizeCommand.Create();
        // One line per subcommand; each lives in its own file under Commands/.
        root.Add(InspectCommand.Create());
        root.Add(BenchCommand.Create());
        root.Add(ValidateCommand.Create());
        root.Add(EngineCommand.Create());
        root.Add(PassesCommand.Create());
        root.Add(RunCommand.Create());
        root.Add(MergeReportsCommand.Create());
        root.Add(SchemaCommand.Create());
        root.Add(CacheCommand.Create());
        HelpLayout.Install(root);
        VersionText.Install(root);
        return root;
    }

    /// <param name="cancellation">Cancels the command as Ctrl+C does (exit 130).</param>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellation = default) =>
        Run(BuildRoot(), args, stdout, stderr, cancellation);

    /// <summary>The top-level handling around any command tree (tests hand in one whose action fails on purpose).</summary>
    internal static int Run(RootCommand root, string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellation = default)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        using var dataNotes = Runtime.Data.DataNotes.To(stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, like every other refusal: all the parser's complaints, each naming its option.
            var command = parse.CommandResult.Command is RootCommand ? "optimize" : $"optimize {parse.CommandResult.Command.Name}";
            stderr.WriteLine($"error: {string.Join("; ", ParseErrorText.DescribeAll(parse))} (see '{command} --help')");
            return ExitCodes.InvalidInput;
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM cancels as Ctrl+C does, once; a second one ends the process at once. (System.CommandLine's own handler,
        // left off below, threw from the signal thread on a second SIGTERM: a stack trace and exit 134, as 'timeout' or
        // a process-group kill can deliver.)
        var terms = 0;
        using var onTerm = OperatingSystem.IsWindows() ? null : System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                if (Interlocked.Increment(ref terms) > 1) return;
                context.Cancel = true;
                cancel.Cancel();
            });
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr, ProcessTerminationTimeout = null };
            return parse.InvokeAsync(config, cancel.Token).GetAwaiter().GetResult();
        }
        catch (OptimizerException e)
        {
            stderr.WriteLine($"error: {MessageText.OneLine(e.Message)}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system refused (disk full, a folder removed or made read-only mid-run): the user's to fix.
            stderr.WriteLine($"error: {MessageText.OneLine(e.Message)}");
            return ExitCodes.InvalidInput;
        }
        catch (Exception e)
        {
            // Not a user error: a bug. Still one line; the stack trace only when asked for.
            stderr.WriteLine($"error: internal error ({e.GetType().Name}): {MessageText.OneLine(e.Message)}");
            stderr.WriteLine(Environment.GetEnvironmentVariable(TraceVariable) is { Length: > 0 }
                ? e.ToString()
                : $"this is a bug in optimize; set {TraceVariable}=1 for the stack trace and report it with the model");
            return ExitCodes.InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
