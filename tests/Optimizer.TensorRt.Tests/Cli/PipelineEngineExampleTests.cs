using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// The examples in <c>pipelines/</c> that build an engine, run as shipped against the trtexec double: the test adds
/// only <c>trtexec:</c> (the double) and a short <c>duration:</c> to the file's <c>engine:</c> section, which each
/// such example ends with. The engine is built from the written model, and the model is what the command line writes.
/// </summary>
public sealed class PipelineEngineExampleTests
{
    public static IEnumerable<object[]> Examples() =>
        Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "pipelines"), "*.yaml").Order(StringComparer.Ordinal)
            .Where(f => File.ReadAllLines(f).Any(l => l.StartsWith("engine:", StringComparison.Ordinal)))
            .Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Examples))]
    public void TheEngineExampleRunsWithTheDouble(string example)
    {
        using var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("pipelines"));
        var models = Path.Combine(TestPaths.RepoRoot, "models");
        foreach (var source in Directory.GetFiles(models, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".opt/", StringComparison.Ordinal)))
        {
            var target = dir.File("models/" + Path.GetRelativePath(models, source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
        var text = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "pipelines", example));
        var engineAt = text.IndexOf("\nengine:", StringComparison.Ordinal);
        Assert.True(engineAt > 0 && !text[(engineAt + 1)..].Split('\n').Skip(1).Any(l => l.Length > 0 && !l.StartsWith(' ')), $"{example} ends with its engine: section");
        var trtexec = FakeTrtexec.Wrapper(dir.File("bin"), "10.9.0.34");
        var file = dir.File($"pipelines/{example}");
        File.WriteAllText(file, text.TrimEnd('\n') + $"\n  trtexec: {trtexec}\n  duration: 0.05\n");

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run(["run", file], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        var job = Assert.Single(Optimizer.Cli.Pipeline.PipelineFile.Read(file, example));
        var args = job.Arguments.ToArray();
        var outAt = Array.IndexOf(args, "-o") + 1;
        var written = args[outAt];
        Assert.StartsWith(dir.Path, written);
        Assert.True(File.Exists(Path.Combine(written, "model.plan")), "the engine is written");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(written, "manifest.json")))!;
        Assert.Equal(manifest["files"]!["model"]!["sha256"]!.GetValue<string>(), manifest["engine"]!["onnx"]!["sha256"]!.GetValue<string>());

        args[outAt] = dir.File("direct");
        var direct = CommandLineApp.Run(args, new StringWriter(), stderr = new StringWriter());
        Assert.True(direct == 0, stderr.ToString());
        Assert.Equal(File.ReadAllBytes(dir.File("direct/model.onnx")), File.ReadAllBytes(Path.Combine(written, "model.onnx")));
    }
}
