using System.Text.RegularExpressions;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// ONNX Runtime's error messages, made fit for one line in front of a user: the first line only (with the dims a
/// "for the following indices" message lists on its next lines), without the
/// "[ErrorCode:…]" prefix, the "Load model from PATH failed:" lead (the caller names the file) and the C++ source
/// location and function signature ("/onnxruntime_src/…/model.cc:180 void onnxruntime::Model::Model(…) ").
/// </summary>
public static partial class OrtMessages
{
    public static string Clean(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var line = lines.Length > 0 ? lines[0] : "";
        // "Got invalid dimensions for input: X for the following indices" names the dims on the lines after it.
        if (line.EndsWith("for the following indices", StringComparison.Ordinal))
            line = string.Join(" ", lines.TakeWhile((l, i) => i == 0 || l.StartsWith("index:", StringComparison.Ordinal)));
        line = ErrorCode().Replace(line, "");
        line = LoadFailed().Replace(line, "");
        var location = SourceLocation().Match(line);
        if (location.Success)
        {
            var rest = SkipSignature(line, location.Index + location.Length);
            line = (line[..location.Index].TrimEnd() + " " + rest.TrimStart()).Trim();
        }
        return line.Length > 0 ? line : message.Trim();
    }

    /// <summary>Skips a C++ signature (return type, name, balanced parentheses) that follows a source location.</summary>
    private static string SkipSignature(string text, int start)
    {
        var open = text.IndexOf('(', start);
        if (open < 0) return text[start..];
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0)
            {
                var end = i + 1;
                // "const" / "override" qualifiers after the parameter list
                var qualifiers = Qualifiers().Match(text, end);
                if (qualifiers.Success && qualifiers.Index == end) end += qualifiers.Length;
                return text[end..];
            }
        }
        return text[start..];
    }

    [GeneratedRegex(@"^\[ErrorCode:[^\]]*\]\s*")]
    private static partial Regex ErrorCode();

    [GeneratedRegex(@"^Load model from .*? failed:\s*")]
    private static partial Regex LoadFailed();

    [GeneratedRegex(@"\S*/[^\s/]+\.(?:h|cc|cpp|hpp):\d+\s+")]
    private static partial Regex SourceLocation();

    [GeneratedRegex(@"(?:\s*(?:const|override|noexcept))+")]
    private static partial Regex Qualifiers();
}
