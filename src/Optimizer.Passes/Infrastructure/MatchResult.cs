namespace Optimizer.Passes.Infrastructure;

/// <summary>A check that declined, with the reason (onnxscript's <c>MatchResult.fail</c>).</summary>
public readonly record struct Fail(string Reason);

/// <summary>
/// The outcome of a pattern check: <c>default</c> when the anchor is not this pattern at all (nothing to say),
/// a <see cref="Fail"/> when it is but the rewrite cannot be made safely, or the matched parts.
/// </summary>
public readonly struct MatchResult<T> where T : class
{
    private MatchResult(T? value, string? reason)
    {
        Value = value;
        Reason = reason;
    }

    public T? Value { get; }

    public string? Reason { get; }

    public static MatchResult<T> NoMatch => default;

    public static implicit operator MatchResult<T>(T value) => new(value, null);

    public static implicit operator MatchResult<T>(Fail fail) => new(null, fail.Reason);
}
