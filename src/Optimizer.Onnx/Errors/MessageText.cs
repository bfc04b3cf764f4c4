using System.Text;

namespace Optimizer.Onnx.Errors;

/// <summary>Text from a model or a library made fit for the one-line messages of the command line.</summary>
public static class MessageText
{
    /// <summary>Control characters shown as escapes (\0, \n, \u001b): names and paths from a model may hold any.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var b = new StringBuilder(text.Length + 8);
        foreach (var c in text)
            b.Append(c switch
            {
                '\0' => "\\0",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return b.ToString();
    }

    /// <summary>A message on one line: line breaks become spaces, other control characters escapes.</summary>
    public static string OneLine(string message) =>
        Printable(string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
}
