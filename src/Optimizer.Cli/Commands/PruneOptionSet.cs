using System.CommandLine;
using System.Globalization;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.Errors;
using Optimizer.Passes.Pruning;

namespace Optimizer.Cli.Commands;

/// <summary>The root command's <c>--prune</c> options, and their reading into <see cref="PruneOptions"/>.</summary>
public sealed class PruneOptionSet
{
    private readonly Option<string?> _prune = new("--prune")
    {
        HelpName = "structured|unstructured",
        Description = "Prune after the FP32 passes (before --quantize). structured: remove whole output channels of Conv/Gemm/MatMul "
                      + "and shrink the graph (smaller and faster); unstructured: set single weights to zero (same graph: smaller "
                      + "compressed, no faster on dense CPU kernels).",
    };

    private readonly Option<string?> _norm = new("--prune-norm") { HelpName = "l1|l2", Description = "The norm channels are scored by (default l2)." };

    private readonly Option<double?> _threshold = new("--prune-threshold")
    {
        HelpName = "T",
        Description = "Remove channels whose norm (structured; a group's combined norm) or weights whose magnitude (unstructured) is below T.",
    };

    private readonly Option<double?> _amount = new("--prune-amount")
    {
        HelpName = "A",
        Description = "Remove the smallest fraction A in [0, 1): of each group's prunable channels (structured), or of each layer's weights (unstructured).",
    };

    private readonly Option<string?> _scope = new("--prune-scope") { HelpName = "layer|global", Description = "Unstructured --prune-amount per layer (default) or over all layers at once." };

    private readonly Option<string?> _pattern = new("--prune-pattern")
    {
        HelpName = "2:4",
        Description = "Unstructured: two zeros in every four weights along the input dimension (TensorRT's sparse kernels; --engine then passes --sparsity=enable).",
    };

    private readonly Option<double?> _maxPerLayer = new("--prune-max-per-layer") { HelpName = "F", Description = "Structured: remove at most this fraction of one layer's channels." };

    private readonly Option<int?> _multiple = new("--prune-channel-multiple")
    {
        HelpName = "N",
        Description = "Structured: each group keeps a multiple of N channels (default 8; 1 for exactly the amount). ONNX Runtime's CPU "
                      + "convolutions work in blocks of 8/16 channels, and odd counts ran slower in our measurements.",
    };

    private Option[] Companions => [_norm, _threshold, _amount, _scope, _pattern, _maxPerLayer, _multiple];

    public void AddTo(Command command)
    {
        command.Options.Add(_prune);
        foreach (var option in Companions) command.Options.Add(option);
    }

    public bool IsRequested(ParseResult parse) => parse.GetValue(_prune) is not null;

    /// <summary>The options read, or null without <c>--prune</c> (then the others are refused).</summary>
    /// <param name="exclude">The --exclude list (shared with --quantize): layers left alone.</param>
    public PruneOptions? Read(ParseResult parse, IReadOnlyList<string> exclude)
    {
        var mode = parse.GetValue(_prune);
        if (mode is null)
            return Companions.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } stray
                ? throw new InvalidInputException($"{stray.Name} needs --prune structured|unstructured")
                : null;
        var structured = mode switch
        {
            "structured" => true,
            "unstructured" => false,
            _ => throw new InvalidInputException($"--prune '{mode}': expected structured or unstructured"),
        };
        var threshold = parse.GetValue(_threshold);
        var amount = parse.GetValue(_amount);
        var twoFour = parse.GetValue(_pattern) switch
        {
            null => false,
            "2:4" => true,
            var p => throw new InvalidInputException($"--prune-pattern '{p}': expected 2:4"),
        };
        if (threshold is not null && amount is not null) throw new InvalidInputException("--prune-threshold and --prune-amount both say how much to remove; choose one");
        if (twoFour && (threshold is not null || amount is not null)) throw new InvalidInputException("--prune-pattern 2:4 fixes the amount (half of each four weights); leave out --prune-threshold and --prune-amount");
        if (threshold is null && amount is null && !twoFour) throw new InvalidInputException("--prune needs --prune-threshold T or --prune-amount A");
        if (threshold is { } t && !(t >= 0 && double.IsFinite(t))) throw new InvalidInputException($"--prune-threshold {Text(t)}: expected a finite value of 0 or more");
        if (amount is { } a && !(a >= 0 && a < 1)) throw new InvalidInputException($"--prune-amount {Text(a)}: expected a fraction from 0 to below 1");
        var max = parse.GetValue(_maxPerLayer);
        if (max is { } m && !(m > 0 && m <= 1)) throw new InvalidInputException($"--prune-max-per-layer {Text(m)}: expected a fraction above 0 and at most 1");
        if (structured && (twoFour || parse.GetResult(_scope) is { Implicit: false }))
            throw new InvalidInputException($"{(twoFour ? "--prune-pattern" : "--prune-scope")} applies to --prune unstructured (structured pruning scores channels per group of tied layers)");
        if (!structured && max is not null) throw new InvalidInputException("--prune-max-per-layer applies to --prune structured");
        var multiple = parse.GetValue(_multiple);
        if (multiple is < 1) throw new InvalidInputException($"--prune-channel-multiple {multiple}: expected 1 or more");
        if (!structured && multiple is not null) throw new InvalidInputException("--prune-channel-multiple applies to --prune structured");
        var scope = parse.GetValue(_scope) switch
        {
            null or "layer" => PruneScope.Layer,
            "global" => PruneScope.Global,
            var s => throw new InvalidInputException($"--prune-scope '{s}': expected layer or global"),
        };
        if (scope == PruneScope.Global && amount is null) throw new InvalidInputException("--prune-scope global needs --prune-amount (a threshold is the same for every layer already)");
        var norm = parse.GetValue(_norm) switch
        {
            null or "l2" => PruneNorm.L2,
            "l1" => PruneNorm.L1,
            var n => throw new InvalidInputException($"--prune-norm '{n}': expected l1 or l2"),
        };
        return new PruneOptions
        {
            Structured = structured,
            Settings = new PruningSettings
            {
                Norm = norm,
                Threshold = threshold,
                Amount = amount,
                Scope = scope,
                TwoFour = twoFour,
                MaxPerLayer = max,
                ChannelMultiple = multiple ?? PruneDefaults.ChannelMultiple,
                Exclude = exclude.ToHashSet(StringComparer.Ordinal),
            },
        };
    }

    private static string Text(double x) => x.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The defaults of the pruning options, with the reasons the help text gives.</summary>
public static class PruneDefaults
{
    public const int ChannelMultiple = 8;
}
