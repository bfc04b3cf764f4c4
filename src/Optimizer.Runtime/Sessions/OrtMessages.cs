using System.Text.RegularExpressions;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// ONNX Runtime's error messages, made fit for one line in front of a user: the first line only, without the
/// "[ErrorCode:…]" prefix, the "Load model from PATH failed:" lead (the caller names the file) and the C++ source
/// location and function signature ("/onnxruntime_src/…/model.cc:180 void onnxruntime::Model::Model(…) ").
/// </summary>
public static partial class OrtMessages
{
    public static string Clean(string message)
    {
        var line = message.Split('\n')[0].Trim();
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
