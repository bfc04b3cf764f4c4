using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Infrastructure;

/// <summary>One announced mutation: which pass, what it did, and to which node.</summary>
public sealed record PassStep(string Pass, string What, string Node);

/// <summary>One rewrite a pass chose not to make, and why ("BatchNormalization 'bn1': Conv weight is not constant").</summary>
public sealed record PassDecline(string Pass, string Node, string Reason)
{
    public override string ToString() => $"{Pass}: {Node}: {Reason}";
}

/// <summary>Every step and decline of a pipeline run, in order.</summary>
public sealed class PassDiagnostics
{
    private readonly List<PassStep> _steps = [];
    private readonly List<PassDecline> _declines = [];
    private readonly HashSet<PassDecline> _declineSet = [];

    public IReadOnlyList<PassStep> Steps => _steps;

    public IReadOnlyList<PassDecline> Declines => _declines;

    internal void Add(PassStep step) => _steps.Add(step);

    internal void Add(PassDecline decline)
    {
        // A fixed-point pass meets the same case on each round; say it once.
        if (_declineSet.Add(decline)) _declines.Add(decline);
    }

    public static string Describe(Node node) =>
        node.Name.Length > 0 ? $"{node.OpType} '{node.Name}'"
        : node.Outputs.FirstOrDefault(o => o is not null) is { } o ? $"{node.OpType} -> '{o.Name}'"
        : node.OpType;
}
