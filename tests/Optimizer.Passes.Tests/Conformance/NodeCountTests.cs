using System.Text;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// Node counts after the default pipeline beside ONNX Runtime's own basic-level optimizer (the model it writes
/// with <c>SessionOptions.OptimizedModelFilePath</c> at <c>ORT_ENABLE_BASIC</c>), for each shared model. The table
/// goes to artifacts/node-counts.md (ONNX Runtime's models to artifacts/ort-basic/); the pipeline must never leave more nodes than ONNX Runtime's basic level.
/// </summary>
public sealed class NodeCountTests(ITestOutputHelper output)
{
    [Fact]
    public void NeverMoreNodesThanOnnxRuntimeBasic()
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "artifacts", "ort-basic");
        Directory.CreateDirectory(dir);
        var table = new StringBuilder("| model | nodes | ORT basic | default pipeline | with --opset 20 |\n| --- | ---: | ---: | ---: | ---: |\n");
        var worse = new List<string>();
        var counted = 0;
        foreach (var path in TestPaths.SharedModelFiles())
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            var ortFile = Path.Combine(dir, stem + ".onnx");
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, OptimizedModelFilePath = ortFile })
            using (new InferenceSession(path, options)) { }
            var ort = Pipelines.NodeCount(ModelReader.Read(ortFile));
            var model = ModelReader.Read(path);
            var input = Pipelines.NodeCount(model);
            Pipelines.RunDefault(model);
            var ours = Pipelines.NodeCount(model);
            var upgraded = Upgraded(path);
            table.Append($"| {stem} | {input} | {ort} | {ours} | {upgraded} |\n");
            if (ours > ort) worse.Add($"{stem}: {ours} > {ort}");
            counted++;
        }
        output.WriteLine(table.ToString());
        Directory.CreateDirectory(Path.Combine(TestPaths.RepoRoot, "artifacts"));
        File.WriteAllText(Path.Combine(TestPaths.RepoRoot, "artifacts", "node-counts.md"), table.ToString());
        Assert.True(counted >= TestPaths.MinSharedModels, $"only {counted} shared models counted");
        Assert.Empty(worse);
    }

    private static string Upgraded(string path)
    {
        var model = ModelReader.Read(path);
        try
        {
            Pipelines.RunDefault(model, new PassOptions { TargetOpset = 20 });
            return Pipelines.NodeCount(model).ToString();
        }
        catch (Onnx.Errors.InvalidInputException e)
        {
            return "refused: " + e.Message.Replace("|", "/");
        }
    }
}
