using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Infrastructure;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Infrastructure;

public class PassRunnerTests
{
    /// <summary>Removes one Relu per run and asks for a fixed point.</summary>
    private sealed class RemoveOneRelu : IPass
    {
        public string Name => "remove-one-relu";
        public string Description => "test";
        public PassKind Kind => PassKind.Cleanup;
        public bool RepeatToFixedPoint => true;

        public PassResult Run(Model model, PassContext context)
        {
            if (model.Graph.Nodes.FirstOrDefault(n => n.OpType == "Relu") is not { } relu) return PassResult.Unchanged;
            context.Step("removed", relu);
            Patterns.Bypass(relu, relu.Input(0)!);
            return PassResult.FromRewrites(1);
        }
    }

    private sealed class Throws : IPass
    {
        public string Name => "throws";
        public string Description => "test";
        public PassKind Kind => PassKind.Cleanup;
        public PassResult Run(Model model, PassContext context) => throw new InvalidOperationException("boom");
    }

    private sealed class BreaksTheGraph : IPass
    {
        public string Name => "breaks";
        public string Description => "test";
        public PassKind Kind => PassKind.Cleanup;

        public PassResult Run(Model model, PassContext context)
        {
            model.Graph.Nodes[0].SetInput(0, new Value("nowhere"));
            return PassResult.FromRewrites(1);
        }
    }

    private static Model ReluChain()
    {
        var b = new GraphBuilder();
        var v = b.Input("x", ElementType.Float, 2);
        for (var i = 0; i < 3; i++) v = b.Op("Relu", [v]);
        b.Output(b.Op("Sigmoid", [v]));
        return b.Model;
    }

    [Fact]
    public void RepeatsAFixedPointPassAndRecordsWhatChanged()
    {
        var model = ReluChain();
        var records = PassRunner.Run(model, [new RemoveOneRelu()], new PassContext(new PassOptions { Verify = true }));
        var record = Assert.Single(records);
        Assert.Equal(4, record.Iterations);
        Assert.Equal(3, record.NodesRemoved);
        Assert.Equal(3, record.NodesRewritten);
        Assert.Single(model.Graph.Nodes);
    }

    [Fact]
    public void AFailureNamesThePassAndThePassesBeforeIt()
    {
        var e = Assert.Throws<PassFailedException>(() =>
            PassRunner.Run(ReluChain(), [new EliminateIdentity(), new EliminateDeadCode(), new Throws()], new PassContext()));
        Assert.StartsWith("pass 'throws' failed (after eliminate-identity, eliminate-dead-code): boom (", e.Message);
        // The command line prints it as one line and exits with the internal-error code, with a way around it.
        Assert.Equal(Optimizer.Onnx.Errors.ExitCodes.InternalError, e.ExitCode);
        Assert.Contains("--passes", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheVerifierCatchesABrokenModel()
    {
        var e = Assert.Throws<PassFailedException>(() => PassRunner.Run(ReluChain(), [new BreaksTheGraph()], new PassContext(new PassOptions { Verify = true })));
        Assert.Contains("left an invalid model", e.Message);
        Assert.Contains("'nowhere'", e.Message);
    }

    [Fact]
    public void CancellationStopsBetweenPasses()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => PassRunner.Run(ReluChain(), [new EliminateIdentity()], new PassContext(cancellation: cancel.Token)));
    }

    [Fact]
    public void RegistryResolvesNamesAndRejectsUnknownOnes()
    {
        Assert.Equal(["fold-constants", "fuse-batchnorm"], PassRegistry.Resolve(["fold-constants", "fuse-batchnorm"]).Select(p => p.Name));
        var e = Assert.Throws<InvalidInputException>(() => PassRegistry.Resolve(["fold-constants", "no-such-pass"]));
        Assert.Contains("unknown pass 'no-such-pass'", e.Message);
        Assert.Equal(PassRegistry.All.Count, PassRegistry.All.Select(p => p.Name).Distinct().Count());
        Assert.All(PassRegistry.WithoutFusion(), p => Assert.True(p.Kind is PassKind.Analysis or PassKind.Opset));
    }
}
