using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Tests.Support;

/// <summary>The default pipeline as tests run it: the verifier after every pass.</summary>
public static class Pipelines
{
    public static (PassContext Context, IReadOnlyList<PassRecord> Records) RunDefault(Model model, PassOptions? options = null)
    {
        var context = new PassContext((options ?? new PassOptions()) with { Verify = true });
        var records = PassRunner.Run(model, PassRegistry.DefaultPipeline(), context);
        return (context, records);
    }

    public static int NodeCount(Model model) => model.Graph.AllNodes().Count();
}
