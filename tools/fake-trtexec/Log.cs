using System.Globalization;

namespace FakeTrtexec;

/// <summary>
/// logging.h: every line is <c>[MM/DD/YYYY-HH:MM:SS] [S] text</c> in local time; lines from TensorRT itself add
/// <c>[TRT] </c>. Info and verbose go to stdout; warnings, errors and fatal errors go to stderr. The
/// <c>&amp;&amp;&amp;&amp;</c> test lines are printed bare on stdout.
/// </summary>
internal sealed class Log(string testName, string commandLine)
{
    public bool Verbose { get; set; }

    public void Info(string text) => Write('I', text);
    public void Warning(string text) => Write('W', text);
    public void Error(string text) => Write('E', text);
    public void VerboseLine(string text) { if (Verbose) Write('V', text); }
    public void TrtInfo(string text) => Write('I', "[TRT] " + text);
    public void TrtWarning(string text) => Write('W', "[TRT] " + text);
    public void TrtError(string text) => Write('E', "[TRT] " + text);

    /// <summary>A blank line keeps its trailing space: <c>…] [I] </c>.</summary>
    public void Blank() => Info("");

    public void Running() => Console.Out.WriteLine($"&&&& RUNNING {testName} # {commandLine}");

    public int Passed()
    {
        Console.Out.WriteLine($"&&&& PASSED {testName} # {commandLine}");
        return 0;
    }

    public int Failed()
    {
        Console.Out.WriteLine($"&&&& FAILED {testName} # {commandLine}");
        return 1;
    }

    /// <summary>Text printed straight to stderr without the log prefix (cudaCheck writes to std::cerr).</summary>
    public static void Raw(string text) => Console.Error.WriteLine(text);

    private static void Write(char severity, string text)
    {
        var stamp = DateTime.Now.ToString("MM/dd/yyyy-HH:mm:ss", CultureInfo.InvariantCulture);
        var line = $"[{stamp}] [{severity}] {text}";
        if (severity is 'I' or 'V') Console.Out.WriteLine(line);
        else Console.Error.WriteLine(line);
    }
}
