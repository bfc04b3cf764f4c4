using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>Text files the data folder holds beside the samples (labels, a recognizer's dictionary), read as UTF-8 strictly.</summary>
internal static class Utf8Text
{
    /// <summary>
    /// The file's lines (a byte-order mark allowed, '\r' left for the caller to trim): a file in another encoding (GBK
    /// text labels, say) would otherwise read with replacement characters, and every such line would count as misread,
    /// silently.
    /// </summary>
    public static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllText(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true)).Split('\n');
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new InvalidInputException($"{path}: not UTF-8 text (save it as UTF-8: another encoding, GBK say, reads as other characters)");
        }
    }
}
