namespace Optimizer.Onnx.Serialization;

/// <summary>
/// What an empty input name ("", an absent optional input) may stand for. ONNX allows it only for optional inputs;
/// a variadic input list is never optional, yet ONNX Runtime 1.31 does not check that and dies of SIGSEGV running,
/// say, <c>Max(x, "")</c>, so such a node is refused when the model is read. Absent inputs at the end of a node's
/// list may simply be left out, which is how the writer stores them.
/// </summary>
public static class EmptyInputRules
{
    /// <summary>Operators of the default domain whose inputs are all one variadic list (none of them optional).</summary>
    private static readonly HashSet<string> AllVariadic =
        new(["Concat", "Max", "Min", "Mean", "Sum", "SequenceConstruct", "Einsum"], StringComparer.Ordinal);

    /// <summary>Why input <paramref name="index"/> of a node may not be empty (one line naming the node), or null when it may.</summary>
    public static string? WhyNotEmpty(string opType, string domain, string nodeName, int index) =>
        domain is "" or "ai.onnx" && AllVariadic.Contains(opType)
            ? $"{(nodeName.Length > 0 ? $"node '{nodeName}' ({opType})" : $"a {opType} node")}: input {index} is empty (\"\"), but {opType}'s inputs are not optional"
            : null;

    /// <summary>Whether a node's input list ends in empty names, which the writer leaves out.</summary>
    public static bool EndsEmpty(IReadOnlyList<string> inputs) => inputs.Count > 0 && inputs[^1].Length == 0;
}
