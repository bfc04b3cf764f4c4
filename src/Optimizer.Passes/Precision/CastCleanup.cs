using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Precision;

/// <summary>
/// Removes the Casts that change nothing, after a precision conversion (or in any model):
/// <list type="bullet">
/// <item><c>y = Cast(x, to = type of x)</c> =&gt; x;</item>
/// <item>a round trip through a wider type, <c>Cast(Cast(x: f16, to f32), to f16)</c> =&gt; x: every float16 (and
/// bfloat16) value is exactly a float32 and a float64, and float32 is exactly a float64, so the way back returns x bit
/// for bit. The other direction is NOT an identity: <c>Cast(Cast(x: f32, to f16), to f32)</c> rounds x to half (and
/// sends |x| &gt; 65504 to infinity), so that pair is kept;</item>
/// <item>Casts of one value to one type in one graph =&gt; the first of them.</item>
/// </list>
/// The first Cast of a round trip stays when something else reads it (dead code removes it otherwise).
/// </summary>
public sealed class CastCleanup : IPass
{
    public string Name => "cast-cleanup";

    public string Description => "Removes Casts to the type a value already has, exact round trips (f16->f32->f16), and duplicate Casts of one value.";

    public PassKind Kind => PassKind.Cleanup;

    public bool RepeatToFixedPoint => true;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var graph in model.Graph.AllGraphs().ToList())
        {
            var first = new Dictionary<(Value, long), Node>();
            foreach (var cast in graph.Nodes.Where(n => n is { OpType: "Cast", IsDefaultDomain: true }).ToList())
            {
                if (cast.Graph is null || cast.Input(0) is not { } x || cast.Outputs.Count != 1 || cast.Outputs[0] is not { } y) continue;
                var to = (ElementType)cast.GetInt("to", 0);
                var replacement = x.ElementType == to ? x
                    : x.Producer is { OpType: "Cast", IsDefaultDomain: true } inner && inner.Input(0) is { } origin && origin.ElementType == to
                      && IsExactWidening(to, x.ElementType) ? origin
                    : first.TryGetValue((x, (long)to), out var earlier) && earlier.Graph == graph ? earlier.Output()
                    : null;
                if (replacement is null)
                {
                    first[(x, (long)to)] = cast;
                    continue;
                }
                if (Patterns.WhyNotReplaceable(y, replacement) is { } why)
                {
                    context.Decline(cast, why);
                    first.TryAdd((x, (long)to), cast);
                    continue;
                }
                // y = Cast(x) with y equal to an existing value => readers of y read that value
                rewrites += context.Step(replacement == x ? "removed a Cast to the type its input has"
                    : first.ContainsKey((x, (long)to)) && first[(x, (long)to)].Output() == replacement ? "merged a duplicate Cast" : "removed an exact round trip of Casts", cast);
                var producer = x.Producer;
                Patterns.Bypass(cast, replacement);
                if (producer is { OpType: "Cast" } && producer.Graph == graph) Patterns.RemoveIfUnused(producer);
            }
        }
        return PassResult.FromRewrites(rewrites);
    }

    /// <summary>Whether every value of <paramref name="narrow"/> is exactly a value of <paramref name="wide"/>.</summary>
    public static bool IsExactWidening(ElementType narrow, ElementType wide) => (narrow, wide) switch
    {
        (ElementType.Float16 or ElementType.BFloat16, ElementType.Float or ElementType.Double) => true,
        (ElementType.Float, ElementType.Double) => true,
        _ => false,
    };
}
