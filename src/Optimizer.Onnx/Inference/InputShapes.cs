using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Onnx.Inference;

/// <summary>The <c>--shapes</c> syntax: <c>name:1x3x224x224,name2:1x128</c>. A name may hold ':' (the last one separates the dims).</summary>
public static class InputShapes
{
    public static IReadOnlyDictionary<string, long[]> Parse(string text)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputException("--shapes is empty: expected name:1x3x224x224[,name2:...]");
        foreach (var entry in text.Split(','))
        {
            var item = entry.Trim();
            var colon = item.LastIndexOf(':');
            if (colon <= 0 || colon == item.Length - 1)
                throw new InvalidInputException($"--shapes entry '{item}' is not name:dims (for example input:1x3x224x224)");
            var name = item[..colon];
            var dims = item[(colon + 1)..].Split('x').Select(d => ParseDim(d, item)).ToArray();
            if (!result.TryAdd(name, dims)) throw new InvalidInputException($"--shapes names input '{name}' twice");
        }
        return result;
    }

    private static long ParseDim(string text, string entry) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new InvalidInputException($"--shapes entry '{entry}': '{text}' is not a dimension size (a whole number >= 0)");
}
