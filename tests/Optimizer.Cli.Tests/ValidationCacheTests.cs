using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--cache DIR</c> with <c>--validate</c>: a second run with the same model, data, gates and machine restores the
/// validation (its folder, JUnit file, summary and exit code) instead of measuring again; a changed gate measures again.
/// </summary>
public sealed class ValidationCacheTests : IDisposable
{
    private static readonly string Models = Path.Combine(TestPaths.RepoRoot, "models");
    private static readonly string TinyCnn = Path.Combine(Models, "tiny_cnn.onnx");
    private static readonly string Validate = Path.Combine(Models, "tiny_cnn_data", "validate");
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private CliRunner.Result Run(string outDir, params string[] gates) =>
        CliRunner.Run([TinyCnn, "-o", _dir.File(outDir), "--validate", Validate, "--cache", _dir.File("cache"), "--junit", _dir.File(outDir + ".xml"), .. gates]);

    [Fact]
    public void A_second_run_restores_the_validation_with_its_exit_code_and_files()
    {
        var first = Run("a", "--max-accuracy-drop", "cosine=0.999");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("cache: validate miss (key ", first.Stderr);

        var second = Run("b", "--max-accuracy-drop", "cosine=0.999");

        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("cache: validate hit (key ", second.Stderr);
        Assert.DoesNotContain("validating samples", second.Stderr);
        Assert.Equal(first.Stdout.Replace(_dir.File("a"), "OUT"), second.Stdout.Replace(_dir.File("b"), "OUT"));
        foreach (var name in new[] { "report.json", "report.md", "predictions.csv" })
            Assert.Equal(File.ReadAllText(_dir.File($"a/validation/{name}")).Replace(_dir.File("a"), "OUT"),
                         File.ReadAllText(_dir.File($"b/validation/{name}")).Replace(_dir.File("b"), "OUT"));
        // the restored report names this run's model, not the first run's
        Assert.Contains(_dir.File("b"), File.ReadAllText(_dir.File("b/validation/report.json")));
        Assert.DoesNotContain(_dir.File("a"), File.ReadAllText(_dir.File("b/validation/report.json")));
        Assert.True(File.Exists(_dir.File("b.xml")));
        Assert.Contains("\"validation\"", File.ReadAllText(_dir.File("b/report.json")));
        var keys = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_dir.File("b/manifest.json")))!["cache"]!;
        Assert.Equal(64, keys["validate"]!.GetValue<string>().Length);
    }

    [Fact]
    public void A_missed_gate_is_restored_as_a_miss_and_a_changed_gate_measures_again()
    {
        Assert.Equal(1, Run("a", "--min-speedup", "1000").ExitCode);

        var again = Run("b", "--min-speedup", "1000");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("cache: validate hit", again.Stderr);

        var changed = Run("c", "--min-speedup", "0.001");
        Assert.Equal(0, changed.ExitCode);
        Assert.Contains("cache: optimize hit", changed.Stderr);
        Assert.Contains("cache: validate miss", changed.Stderr);
    }
}
