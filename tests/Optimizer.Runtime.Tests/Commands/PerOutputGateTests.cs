using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Commands;

/// <summary>
/// Gates on one output (<c>OUTPUT:METRIC=VALUE</c>): a detector's score map judged without its box regressions, with
/// TensorFlow-style output names that hold ':' themselves.
/// </summary>
public sealed class PerOutputGateTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = CommandLineApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>x → 'scores:0' = Sigmoid(x W) and 'boxes:0' = x V; <paramref name="boxSign"/> flips the boxes.</summary>
    private static string Detector(string path, float boxSign)
    {
        var b = new GraphBuilder(seed: 11);
        var x = b.Input("x", ElementType.Float, 1, 8);
        var scores = b.Op("Sigmoid", [b.Op("MatMul", [x, b.Initializer("w", b.RandomFloats([8, 4], 0.5f), 8, 4)])]);
        var boxes = b.Op("MatMul", [x, b.Initializer("v", b.RandomFloats([8, 16], 0.5f).Select(f => f * boxSign).ToArray(), 8, 16)]);
        scores.Producer!.Outputs[0]!.Name = "scores:0";
        boxes.Producer!.Outputs[0]!.Name = "boxes:0";
        b.Output(scores, boxes);
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    [Theory]
    [InlineData("Identity:0:mask-agreement@0.3=0.99", "Identity:0", GateMetric.MaskAgreement)]
    [InlineData("offsets:min-cosine=0.99", "offsets", GateMetric.MinCosine)]
    [InlineData("min-cosine=0.99", null, GateMetric.MinCosine)]
    [InlineData("a/b:c:SQNR=30", "a/b:c", GateMetric.Sqnr)]
    public void An_output_prefix_names_the_output_up_to_the_last_colon_before_a_metric(string text, string? output, GateMetric metric)
    {
        var gate = Gate.Parse(text);
        Assert.Equal(output, gate.Output);
        Assert.Equal(metric, gate.Metric);
        Assert.StartsWith(output is null ? gate.Name : output + ":", gate.Name);
    }

    [Fact]
    public void Speedup_and_accuracy_are_not_per_output()
    {
        Assert.Contains("not measured per output", Assert.Throws<InvalidInputException>(() => Gate.Parse("scores:accuracy=0.01")).Message);
    }

    [Fact]
    public void A_gate_on_the_score_output_passes_where_the_box_output_fails_a_gate_on_every_output()
    {
        using var dir = TestPaths.NewTempDir();
        var (baseline, candidate) = (Detector(dir.File("a.onnx"), 1), Detector(dir.File("b.onnx"), -1));
        string[] common = ["validate", "--baseline", baseline, "--candidate", candidate, "--samples", "6", "--report", dir.File("r")];

        var all = Run([.. common, "--max-accuracy-drop", "min-cosine=0.99"]);
        Assert.True(all.Exit == ExitCodes.GateFailed, all.Out + all.Err);
        Assert.Contains("on output 'boxes:0'", all.Err);

        var scores = Run([.. common, "--max-accuracy-drop", "scores:0:min-cosine=0.99"]);
        Assert.True(scores.Exit == ExitCodes.Success, scores.Out + scores.Err);
        Assert.Contains("gate scores:0:min-cosine >= 0.99 passed", scores.Err + scores.Out);

        var boxes = Run([.. common, "--max-accuracy-drop", "boxes:0:min-cosine=0.99"]);
        Assert.True(boxes.Exit == ExitCodes.GateFailed, boxes.Out + boxes.Err);

        var unknown = Run([.. common, "--max-accuracy-drop", "box:min-cosine=0.99"]);
        Assert.True(unknown.Exit == ExitCodes.InvalidInput, unknown.Out + unknown.Err);
        Assert.Contains("no output 'box'", unknown.Err);
    }
}
