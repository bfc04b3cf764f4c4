using System.Text.Json;
using System.Xml.Linq;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize MODEL --validate DIR</c>: the written model is checked against the input on real images, the result
/// joins OUT/report.json and OUT/report.md, and the gates decide the exit code.
/// </summary>
public class OptimizeValidateTests
{
    private static readonly string Images = Path.Combine(TestPaths.SharedModels, "images");

    [Fact]
    public void TheOptimizedModelIsValidatedAgainstTheInputAndTheReportSaysSo()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TestPaths.SharedModel("mobilenet_v2_bn.onnx"), "-o", dir.Path, "--validate", Images,
            "--max-accuracy-drop", "cosine=0.99999", "--max-accuracy-drop", "top1-agreement=1", "--junit", dir.File("gates.xml"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var validation = report.RootElement.GetProperty("validation");
        Assert.True(validation.GetProperty("passed").GetBoolean());
        Assert.Equal(19, validation.GetProperty("samples").GetInt32());
        var output = validation.GetProperty("outputs")[0];
        Assert.True(output.GetProperty("cosineSimilarity").GetDouble() > 0.99999);
        Assert.Equal(100, report.RootElement.GetProperty("after").GetProperty("nodeCount").GetInt32());
        Assert.Contains("## Validation: model.onnx passed", File.ReadAllText(dir.File("report.md")));
        Assert.True(File.Exists(dir.File("validation/predictions.csv")));
        Assert.Equal(2, XDocument.Load(dir.File("gates.xml")).Descendants("testcase").Count());
        Assert.Contains("PASS gate cosine", result.Stdout);
    }

    [Fact]
    public void AMissedBudgetExitsOneButKeepsTheModelAndReport()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), "-o", dir.Path, "--validate", Images, "--min-speedup", "1000");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("speedup", result.Stderr);
        Assert.True(File.Exists(dir.File("model.onnx")));
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.False(report.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
    }

    [Theory]
    [InlineData("--max-accuracy-drop", "cosine=0.99")]
    [InlineData("--validate", "/nonexistent/data")]
    [InlineData("--max-accuracy-drop", "nonsense=3")]
    public void ABudgetWithoutDataOrBadDataIsRefusedBeforeAnythingIsWritten(string option, string value)
    {
        using var dir = TestPaths.NewTempDir();
        var outDir = dir.File("out");
        var args = new List<string> { Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), "-o", outDir, option, value };
        if (option == "--max-accuracy-drop" && value.StartsWith("nonsense")) args.AddRange(["--validate", Images]);
        var result = CliRunner.Run([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(outDir));
    }
}
