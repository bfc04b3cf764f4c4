using System.Text.Json.Nodes;
using Optimizer.Cli.Zoo;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>A small zoo: copies of the shipped tiny_cnn under several names, each a job of one glob.</summary>
internal static class ZooFixture
{
    public static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    public static readonly string Data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data");

    /// <summary>INT8 with calibration (validation, which times latency, is left to the jobs that need it: it takes seconds).</summary>
    public static string Int8Defaults => $$"""
        defaults:
          output: out/{model}
          quantize: int8
          calibrate: {{Data}}/calib
        """;

    public static TempDir Create(string yaml, params string[] models)
    {
        var dir = TestPaths.NewTempDir();
        Directory.CreateDirectory(dir.File("m"));
        foreach (var model in models) File.Copy(TinyCnn, dir.File($"m/{model}.onnx"));
        File.WriteAllText(dir.File("zoo.yaml"), yaml);
        return dir;
    }
}
