using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// The same inputs give byte-identical artifacts, run to run and folder to folder: the model, the calibration table and
/// TensorRT's calibration cache, for every kind of job (issue 13). The shared models go through the default passes.
/// </summary>
public sealed class ReproducibleOutputTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string Models => Path.Combine(TestPaths.RepoRoot, "models");

    public static IEnumerable<object[]> Jobs() =>
    [
        ["default passes", ""],
        ["dynamic int8", "--quantize int8"],
        ["static int8", $"--quantize int8 --calibrate {Path.Combine(Models, "tiny_cnn_data", "calib")}"],
        ["static int8 for tensorrt", $"--quantize int8 --calibrate {Path.Combine(Models, "tiny_cnn_data", "calib")} --target tensorrt --calibration-method entropy"],
        ["fp16", "--quantize fp16"],
        ["bf16", "--quantize bf16"],
        ["structured pruning then int8", $"--prune structured --prune-amount 0.3 --quantize int8 --calibrate {Path.Combine(Models, "tiny_cnn_data", "calib")}"],
        ["unstructured 2:4", "--prune unstructured --prune-pattern 2:4"],
    ];

    [Theory]
    [MemberData(nameof(Jobs))]
    public void Every_kind_of_job_writes_the_same_bytes_in_two_folders(string job, string options)
    {
        var model = Path.Combine(Models, "tiny_cnn.onnx");
        var args = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var folder in new[] { "a/out", "b/elsewhere/out" })
        {
            var result = CliRunner.Run([model, "-o", _dir.File(folder), .. args]);
            Assert.True(result.ExitCode == 0, $"{job}: {result.Stderr}");
        }
        foreach (var artifact in new[] { "model.onnx", "calibration.json", "calibration.cache" })
        {
            var (first, second) = (_dir.File($"a/out/{artifact}"), _dir.File($"b/elsewhere/out/{artifact}"));
            Assert.Equal(File.Exists(first), File.Exists(second));
            if (File.Exists(first)) Assert.True(File.ReadAllBytes(first).AsSpan().SequenceEqual(File.ReadAllBytes(second)), $"{job}: {artifact} differs");
        }
        Assert.True(File.Exists(_dir.File("a/out/model.onnx")));
    }

    [Fact]
    public void The_shared_models_through_the_default_passes_write_the_same_bytes_twice()
    {
        var models = TestPaths.SharedModelFiles().Where(f => new FileInfo(f).Length < 64 << 20).ToList();
        Assert.True(models.Count >= 6, $"only {models.Count} shared models");
        foreach (var model in models)
        {
            var name = Path.GetFileNameWithoutExtension(model);
            foreach (var folder in new[] { $"a/{name}", $"b/x/{name}" })
                Assert.Equal(0, CliRunner.Run(model, "-o", _dir.File(folder)).ExitCode);
            Assert.True(File.ReadAllBytes(_dir.File($"a/{name}/model.onnx")).AsSpan().SequenceEqual(File.ReadAllBytes(_dir.File($"b/x/{name}/model.onnx"))),
                $"{name}: model.onnx differs between two runs");
        }
    }
}
