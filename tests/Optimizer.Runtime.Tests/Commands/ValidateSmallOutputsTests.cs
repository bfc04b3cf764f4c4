using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Commands;

/// <summary>
/// optimize validate on outputs too small for the per-sample figures: one score per sample (the cosine of one value is
/// its sign) and a classifier of fewer than five classes (top-5 of two classes).
/// </summary>
public sealed class ValidateSmallOutputsTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = CommandLineApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>score = Sigmoid(x · w): one value in (0, 1) per sample, as a wake-word detector gives.</summary>
    private static string ScoreModel(string path, float sign)
    {
        var builder = new GraphBuilder();
        var x = builder.Input("x", ElementType.Float, 1, 4);
        var w = builder.Initializer("w", new[] { 1f * sign, -2f * sign, 0.5f * sign, 1.5f * sign }, 4, 1);
        var score = builder.Op("Sigmoid", [builder.Op("MatMul", [x, w])]);
        builder.Output(score);
        ModelWriter.Write(builder.Build(), path);
        return path;
    }

    [Fact]
    public void A_one_score_output_whose_scores_move_fails_min_cosine_taken_over_the_samples()
    {
        using var dir = TestPaths.NewTempDir();
        // the candidate scores 1 - p where the baseline scores p: every score positive, so each sample's own cosine is 1
        var (baseline, candidate) = (ScoreModel(dir.File("a.onnx"), 1), ScoreModel(dir.File("b.onnx"), -1));
        var (exit, stdout, stderr) = Run("validate", "--baseline", baseline, "--candidate", candidate, "--samples", "8", "--report", dir.File("r"),
            "--max-accuracy-drop", "min-cosine=0.999");
        Assert.True(exit == ExitCodes.GateFailed, stdout + stderr);
        Assert.Contains("gate min-cosine >= 0.999 failed", stderr);
        Assert.Contains("(one value per sample: over all samples' values together)", stdout);
        Assert.Contains("one value per sample", File.ReadAllText(dir.File("r/report.md")));
        var output = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir.File("r/report.json")))!["outputs"]![0]!;
        Assert.True((bool)output["cosineOverSamples"]!);

        // the same model against itself passes the same gate
        Assert.Equal(ExitCodes.Success, Run("validate", "--baseline", baseline, "--candidate", baseline, "--samples", "8", "--report", dir.File("r2"),
            "--max-accuracy-drop", "min-cosine=0.999").Exit);
    }

    [Fact]
    public void A_two_class_classifier_against_itself_has_full_top5_agreement()
    {
        using var dir = TestPaths.NewTempDir();
        var cls = TestPaths.SharedModel("ch_ppocr_mobile_v2.0_cls_infer.onnx");
        var (exit, stdout, stderr) = Run("validate", "--baseline", cls, "--candidate", cls, "--shapes", "x:1x3x48x192", "--samples", "2",
            "--report", dir.File("r"), "--max-accuracy-drop", "top5-agreement=0.99");
        Assert.True(exit == ExitCodes.Success, stdout + stderr);
        Assert.Contains("top-5 1 (top-2: 2 classes)", stdout);
        Assert.Contains("top-5 agreement is the overlap of the top 2", File.ReadAllText(dir.File("r/report.md")));
    }
}
