using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

public sealed class ValidatorTests
{
    private static ValidateOptions Options(string candidate, string data, params string[] gates) => new()
    {
        BaselinePath = ModelFixtures.MobileNet,
        CandidatePath = candidate,
        Data = new DataOptions { Folder = data },
        Gates = gates.Select(Gate.Parse).ToList(),
    };

    [Fact]
    public void LabelsOnAModelWithNoClassOutputAreSaidToGiveNoAccuracy()
    {
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        b.Output(b.Op("Relu", [b.Input("x", Optimizer.Onnx.IR.ElementType.Float, 1, 1)]));
        var model = dir.File("score.onnx");
        Optimizer.Onnx.Serialization.ModelWriter.Write(b.Build(), model);
        var data = Directory.CreateDirectory(dir.File("data")).FullName;
        NpyFormat.Write(Path.Combine(data, "x_0000.npy"), HostTensor.FromArray(new[] { 0.5f }, [1, 1]));
        File.WriteAllText(Path.Combine(data, "labels.txt"), "x_0000.npy 1\n");

        var notes = new StringWriter();
        ValidationReport report;
        using (DataNotes.To(notes))
            report = Validator.Run(new ValidateOptions { BaselinePath = model, CandidatePath = model, Data = new DataOptions { Folder = data }, TimeLatency = false });

        Assert.Null(report.Accuracy);
        Assert.Contains("its labels give no accuracy here: no output is classifier-like", notes.ToString());
    }

    [Fact]
    public void AnAccuracyGateOnDataWithoutLabelsSaysLabelsAreMissing()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(dir.Path);

        var e = Assert.Throws<InvalidInputException>(() => Validator.Run(new ValidateOptions
        {
            BaselinePath = ModelFixtures.MobileNet,
            CandidatePath = ModelFixtures.MobileNet,
            Data = new DataOptions { Folder = images },
            Gates = [Gate.Parse("accuracy=0.01")],
            TimeLatency = false,
        }));

        // not "needs a classifier-like output": mobilenet has one; the labels are what is missing
        Assert.Contains("gate accuracy needs labels: labels.txt or labels.csv in the data folder", e.Message);
    }

    [Fact]
    public void AModelAgainstItselfAgreesExactly()
    {
        using var dir = TestPaths.NewTempDir();
        var report = Validator.Run(Options(ModelFixtures.MobileNet, ModelFixtures.SmallImageFolder(dir.Path, labels: true), "top1-agreement=1", "cosine=1", "max-abs=0", "accuracy=0"));
        var output = Assert.Single(report.Outputs);
        Assert.Equal((4L, 0.0, 0.0, 0.0), (output.Samples, output.MaxAbsError, output.MeanAbsError, output.RelativeL2Error));
        Assert.Equal((1.0, 1.0, double.PositiveInfinity), (output.Top1Agreement, output.Top5Agreement, output.SqnrDb));
        Assert.Equal(1.0, output.CosineSimilarity, 12);
        Assert.NotNull(report.Accuracy);
        Assert.Equal(4, report.Accuracy.LabelledSamples);
        Assert.Equal(0.0, report.Accuracy.Drop);
        Assert.True(report.Accuracy.Baseline >= 0.25); // astronaut is labelled with the model's own top class
        Assert.True(report.Passed);
        Assert.True(report.Latency.BaselineP50Ms > 0 && report.Latency.CandidateP95Ms > 0);
    }

    [Fact]
    public void APerturbedCopyFailsTheGatesAndSaysByHowMuch()
    {
        using var dir = TestPaths.NewTempDir();
        var candidate = ModelFixtures.WritePerturbedMobileNet(dir.Path, 0.5);
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(Path.Combine(dir.Path, "images")).FullName);
        var report = Validator.Run(Options(candidate, images, "cosine=0.9999", "sqnr=60", "rel-l2=0.5"));
        var output = Assert.Single(report.Outputs);
        Assert.True(output.MaxAbsError > 0 && output.CosineSimilarity < 0.9999, $"cosine {output.CosineSimilarity}");
        Assert.False(report.Passed);
        var cosine = report.Gates.Single(g => g.Gate == "cosine");
        Assert.False(cosine.Passed);
        Assert.Contains("short by", cosine.Message);
        Assert.Equal("output", cosine.Output);
        Assert.True(report.Gates.Single(g => g.Gate == "rel-l2").Passed);
        Assert.Contains("<failure", JUnitWriter.Render(report));
    }

    [Fact]
    public void AgainstAStoredReportComparesWithItsPredictions()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(Directory.CreateDirectory(Path.Combine(dir.Path, "images")).FullName, labels: true);
        var release = Path.Combine(dir.Path, "release");
        var predictions = new StringWriter();
        var first = Validator.Run(Options(ModelFixtures.MobileNet, images), predictions);
        ValidationReportWriter.Write(first, release);
        File.WriteAllText(Path.Combine(release, PredictionsFile.FileName), predictions.ToString());

        var again = Validator.Run(new ValidateOptions
        {
            CandidatePath = ModelFixtures.MobileNet,
            AgainstReport = Path.Combine(release, "report.json"),
            Data = new DataOptions { Folder = images },
            Gates = [Gate.Parse("top1-agreement=1"), Gate.Parse("top5-agreement=1"), Gate.Parse("accuracy=0")],
        });
        Assert.True(again.Passed, string.Join("; ", again.Gates.Select(g => g.Message)));
        Assert.Equal(first.Accuracy!.Candidate, again.Accuracy!.Baseline);
        Assert.Equal(first.Latency.CandidateP50Ms, again.Latency.BaselineP50Ms);
        var cosine = new ValidateOptions { CandidatePath = ModelFixtures.MobileNet, AgainstReport = Path.Combine(release, "report.json"), Data = new DataOptions { Folder = images }, Gates = [Gate.Parse("cosine=0.9")] };
        Assert.Throws<InvalidInputException>(() => Validator.Run(cosine));
    }

    [Theory]
    [InlineData("cosine")]
    [InlineData("top1=0.9")]
    [InlineData("cosine=high")]
    public void AMalformedGateIsAUsageError(string text) => Assert.Throws<InvalidInputException>(() => Gate.Parse(text));

    [Fact]
    public void SeveralGatesMayBeGivenInOneCommaSeparatedValue()
    {
        var gates = Gate.ParseList("min-cosine=0.99, top5-agreement=0.9,mask-agreement@0.3=0.99").ToList();
        Assert.Equal([GateMetric.MinCosine, GateMetric.Top5Agreement, GateMetric.MaskAgreement], gates.Select(g => g.Metric));
        Assert.Equal([0.99, 0.9, 0.99], gates.Select(g => g.Threshold));
        Assert.Equal(0.3, gates[2].At);
        var bad = Assert.Throws<InvalidInputException>(() => Gate.ParseList("cosine=0.99,,sqnr=30"));
        Assert.Contains("''", bad.Message);
    }
}
