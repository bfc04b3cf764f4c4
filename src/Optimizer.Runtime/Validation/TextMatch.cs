namespace Optimizer.Runtime.Validation;

/// <summary>
/// How a recognizer's reading is held against the true text: both trimmed of leading and trailing whitespace (a
/// recognizer reads the white padding around a line as a space now and then; no user counts that as a misreading), then
/// compared exactly, and for the character error rate edited in Unicode characters.
/// </summary>
public static class TextMatch
{
    public static string Normalize(string text) => text.Trim();

    public static bool Exact(string read, string truth) => Normalize(read) == Normalize(truth);
}
