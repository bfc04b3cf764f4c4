using System.Text.RegularExpressions;

namespace Optimizer.TensorRt.Logs;

/// <summary>Which pipe a line came from.</summary>
public enum OutputStream { Stdout, Stderr }

/// <summary>
/// One line of trtexec output: <c>[MM/DD/YYYY-HH:MM:SS] [I|W|E|V|F] text</c>, where TensorRT's own lines add
/// <c>[TRT] </c>. Lines without that prefix (the &amp;&amp;&amp;&amp; test lines, help text, a raw "Cuda failure")
/// have severity '\0'.
/// </summary>
public sealed partial record LogLine(OutputStream Stream, char Severity, bool FromTensorRt, string Text, string Raw)
{
    [GeneratedRegex(@"^\[\d{2}/\d{2}/\d{4}-\d{2}:\d{2}:\d{2}\] \[(?<s>[IWEVF])\] (?<trt>\[TRT\] )?(?<text>.*)$")]
    private static partial Regex Prefixed();

    public static LogLine Parse(OutputStream stream, string raw)
    {
        var match = Prefixed().Match(raw);
        return match.Success
            ? new LogLine(stream, match.Groups["s"].Value[0], match.Groups["trt"].Success, match.Groups["text"].Value, raw)
            : new LogLine(stream, '\0', false, raw, raw);
    }

    public bool IsError => Severity is 'E' or 'F'
        || (Severity == '\0' && Stream == OutputStream.Stderr && Text.Trim().Length > 0);

    public bool IsWarning => Severity == 'W';
}
