using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Folding;

namespace Optimizer.Passes.Infrastructure;

/// <summary>
/// What a pass gets besides the model: options, diagnostics (steps and declines), a log and cancellation.
/// The runner sets <see cref="CurrentPass"/> so announcements are attributed to the pass that made them.
/// </summary>
public sealed class PassContext(PassOptions? options = null, Action<string>? log = null, CancellationToken cancellation = default)
{
    private ConstantEvaluator? _evaluator;

    public PassOptions Options { get; } = options ?? new PassOptions();

    public PassDiagnostics Diagnostics { get; } = new();

    public CancellationToken Cancellation { get; } = cancellation;

    public string CurrentPass { get; internal set; } = "";

    /// <summary>
    /// The last shape inference run (set by the infer-shapes pass): symbolic shapes and small shape tensors' values.
    /// Values are never redefined (SSA), so facts stay true for the values they describe; new values are unknown.
    /// </summary>
    public ShapeInferenceResult? Shapes { get; private set; }

    /// <summary>Whether --shapes has been applied to the inputs (it is applied once).</summary>
    internal bool InputShapesApplied { get; set; }

    /// <summary>Runs shape inference now and keeps the result.</summary>
    public ShapeInferenceResult RefreshShapes(Model model) => Shapes = ShapeInference.Run(model);

    /// <summary>The last inference result, running inference first when none has run yet.</summary>
    public ShapeInferenceResult EnsureShapes(Model model) => Shapes ?? RefreshShapes(model);

    /// <summary>Evaluates one node on constant inputs in ONNX Runtime (created on first use).</summary>
    public ConstantEvaluator Evaluator => _evaluator ??= new ConstantEvaluator();

    /// <summary>Announces a mutation (for the report and <c>--explain</c>). Returns 1 so passes can count rewrites.</summary>
    public int Step(string what, Node node)
    {
        Diagnostics.Add(new PassStep(CurrentPass, what, PassDiagnostics.Describe(node)));
        return 1;
    }

    /// <summary>Records why a rewrite that matched was not made.</summary>
    public void Decline(Node node, string reason) => Decline(PassDiagnostics.Describe(node), reason);

    /// <summary>Records why a rewrite of something other than a node (an initializer, a graph) was not made.</summary>
    public void Decline(string subject, string reason) => Diagnostics.Add(new PassDecline(CurrentPass, subject, reason));

    public void Log(string message) => log?.Invoke(message);
}
