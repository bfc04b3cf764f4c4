using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary><c>optimize MODEL --prune unstructured --prune-pattern 2:4 --engine</c>: trtexec is asked for its sparse kernels, and only then.</summary>
public sealed class SparseEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private IReadOnlyList<string> EngineFlags(params string[] extra)
    {
        var model = _dir.File("tiny.onnx");
        if (!File.Exists(model)) File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), model);
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var output = _dir.File("out" + extra.Length);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run([model, "-o", output, "--engine", "--trtexec", trtexec, "--engine-skip-inference", .. extra], stdout, stderr);
        Assert.True(code == ExitCodes.Success, stderr.ToString());
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        return manifest["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
    }

    [Fact]
    public void TwoFourPrunedModelsAskForSparsity()
    {
        Assert.Contains("--sparsity=enable", EngineFlags("--prune", "unstructured", "--prune-pattern", "2:4"));
        Assert.DoesNotContain("--sparsity=enable", EngineFlags("--prune", "unstructured", "--prune-amount", "0.5"));
    }

    public void Dispose() => _dir.Dispose();
}
