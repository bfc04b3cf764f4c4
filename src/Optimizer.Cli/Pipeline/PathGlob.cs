using System.Text;
using System.Text.RegularExpressions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The files a shell-style pattern names: <c>*</c> and <c>?</c> within one folder name, <c>[abc]</c> (or <c>[!abc]</c>)
/// for one of a set, <c>**</c> for any number of folders. Matches are returned in ordinal order, so a zoo's jobs run
/// in the same order on every machine.
/// </summary>
internal static class PathGlob
{
    public static bool IsPattern(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

    /// <param name="pattern">An absolute path with wildcards.</param>
    public static IReadOnlyList<string> Files(string pattern)
    {
        var segments = pattern.Split('/');
        var first = Array.FindIndex(segments, IsPattern);
        var root = string.Join('/', segments[..first]);
        if (root == "") root = "/";
        if (!Directory.Exists(root)) return [];
        var rest = segments[first..];
        var regex = new Regex("^" + Expression(rest) + "$", RegexOptions.CultureInvariant);
        var options = new EnumerationOptions { RecurseSubdirectories = rest.Length > 1, IgnoreInaccessible = true, AttributesToSkip = 0 };
        return Directory.EnumerateFiles(root, "*", options)
            .Where(f => regex.IsMatch(Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string Expression(string[] segments)
    {
        var text = new StringBuilder();
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "**")
                text.Append(last ? ".*" : "(?:[^/]+/)*");
            else
                text.Append(Segment(segments[i])).Append(last ? "" : "/");
        }
        return text.ToString();
    }

    private static string Segment(string segment)
    {
        var text = new StringBuilder();
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            var close = c == '[' ? segment.IndexOf(']', i + 2) : -1;
            if (c == '*') text.Append("[^/]*");
            else if (c == '?') text.Append("[^/]");
            else if (close > 0)
            {
                var set = segment[(i + 1)..close];
                var negated = set.StartsWith('!');
                text.Append('[').Append(negated ? "^" : "").Append(Regex.Escape(negated ? set[1..] : set).Replace("]", "\\]")).Append(']');
                i = close;
            }
            else text.Append(Regex.Escape(c.ToString()));
        }
        return text.ToString();
    }
}
