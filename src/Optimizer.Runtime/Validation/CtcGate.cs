using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// The <c>ctc-agreement[@K]=V</c> gate of CTC outputs [N, T, C] or time-major [T, 1, C] (text recognizers, speech models): the fraction of rows
/// whose greedy CTC decoding is the same in both models. K is the blank class: 0 by default (PaddleOCR, wav2vec2),
/// -1 for the last class (some CRNN exports).
/// </summary>
public static class CtcGate
{
    public const string Name = "ctc-agreement";

    /// <summary>The K of <c>ctc-agreement@K</c>: a class index, or -1 for the last class.</summary>
    public static double ParseBlank(string text, string atText)
    {
        if (!int.TryParse(atText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var k) || k < -1)
            throw new InvalidInputException($"--max-accuracy-drop '{text}': '{atText}' after '@' is not a blank class index (an integer, -1 for the last class: {Name}@-1=0.98)");
        return k;
    }

    /// <summary>The blank class among <paramref name="classes"/>: K itself, or the last class for -1.</summary>
    public static int Resolve(int blank, int classes, string output) =>
        blank == -1 ? classes - 1
        : blank < classes ? blank
        : throw new InvalidInputException($"gate {Name}@{blank}: blank class {blank} is outside output '{output}', which has {classes} classes");
}
