using System.Diagnostics;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// How this tool starts itself as a child process (<c>optimize run --jobs N</c>): the apphost it runs as (the
/// published <c>optimize</c>, a single-file build), or else the dotnet host running this assembly's optimize.dll
/// (<c>dotnet optimize.dll</c>, <c>dotnet run</c>, and tests, which load the CLI into their own process).
/// </summary>
public static class ToolProcess
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var self = Environment.ProcessPath;
        ProcessStartInfo info;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "optimize")
            info = new ProcessStartInfo(self);
        else
        {
            var dll = typeof(ToolProcess).Assembly.Location;
            if (string.IsNullOrEmpty(dll)) throw new InvalidOperationException("cannot find the optimize executable to run parallel jobs in");
            var host = self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk ? fromSdk : "dotnet";
            info = new ProcessStartInfo(host);
            info.ArgumentList.Add(dll);
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true; // a job reads nothing; closed stdin
        return info;
    }
}
