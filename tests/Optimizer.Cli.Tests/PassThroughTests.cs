using System.Text.Json;
using Optimizer.Onnx.IO;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

public class PassThroughTests
{
    [Fact]
    public void PassesNoneWritesAnIdenticalModelAndAManifest()
    {
        using var dir = TestPaths.NewTempDir();
        var input = TestPaths.SharedModel("squeezenet1_1.onnx");
        var result = CliRunner.Run(input, "-o", dir.Path, "--passes", "none");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(File.ReadAllBytes(input), File.ReadAllBytes(dir.File("model.onnx")));
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        var files = manifest.RootElement.GetProperty("files");
        Assert.Equal(FileHash.Sha256(input), files.GetProperty("input").GetProperty("sha256").GetString());
        Assert.Equal(FileHash.Sha256(dir.File("model.onnx")), files.GetProperty("model").GetProperty("sha256").GetString());
        Assert.False(string.IsNullOrEmpty(manifest.RootElement.GetProperty("tool").GetProperty("version").GetString()));
        Assert.True(File.Exists(dir.File("report.json")) && File.Exists(dir.File("report.md")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }
}
