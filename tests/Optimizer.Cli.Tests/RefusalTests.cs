using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>Bad input gets exit code 2 and a one-line reason, writes nothing and leaves the input as it was.</summary>
public class RefusalTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "truncated", "not a valid ONNX model" },
        { "random", "is not a valid ONNX model" },
        { "dotdot", "contains '..'" },
        { "absolute", "absolute path" },
        { "cycle", "cycle" },
        { "undefined", "is not defined" },
        { "empty", "has no graph" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadModelsAreRefusedCleanly(string kind, string reason)
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("bad.onnx");
        File.WriteAllBytes(path, MakeBad(kind, dir));
        var before = File.ReadAllBytes(path);
        var outDir = dir.File("out");

        foreach (var args in new[] { new[] { path, "-o", outDir, "--passes", "none" }, new[] { "inspect", path } })
        {
            var result = CliRunner.Run(args);
            Assert.Equal(2, result.ExitCode);
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(reason, lines[0]);
            Assert.DoesNotContain("   at ", result.Stderr);
            Assert.False(Directory.Exists(outDir), "nothing may be written for a refused model");
            Assert.Equal(before, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void AMissingModelIsAUsageError()
    {
        var result = CliRunner.Run("inspect", "/nonexistent/model.onnx");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr);
    }

    [Fact]
    public void AnUnknownOptionIsAUsageError()
    {
        var result = CliRunner.Run("inspect", "--frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--frobnicate", result.Stderr);
    }

    [Fact]
    public void WritingOverTheInputIsRefused()
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, Valid().ToByteArray());
        var before = File.ReadAllBytes(path);
        var result = CliRunner.Run(path, "-o", dir.Path, "--passes", "none");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("over the input", result.Stderr);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    private static ModelProto Valid()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 64);
        var w = b.RandomInitializer("w", 1, 64, 64);
        b.Output(b.Op("Relu", [b.Op("MatMul", [x, w])]));
        return ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));
    }

    private static byte[] MakeBad(string kind, TempDir dir)
    {
        var proto = Valid();
        switch (kind)
        {
            case "truncated":
                var bytes = proto.ToByteArray();
                return bytes[..(bytes.Length / 2)];
            case "random":
                var random = new byte[4096];
                new Random(7).NextBytes(random);
                return random;
            case "empty":
                return [];
            case "dotdot":
            case "absolute":
                File.WriteAllBytes(dir.File("w.bin"), new byte[64 * 64 * 4]);
                var w = proto.Graph.Initializer[0];
                w.ClearRawData();
                w.DataLocation = TensorProto.Types.DataLocation.External;
                w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = kind == "dotdot" ? "../w.bin" : dir.File("w.bin") });
                return proto.ToByteArray();
            case "cycle":
                // MatMul consumes Relu's output, which consumes MatMul's.
                proto.Graph.Node[0].Input[0] = proto.Graph.Node[1].Output[0];
                return proto.ToByteArray();
            case "undefined":
                proto.Graph.Node[1].Input[0] = "nowhere";
                return proto.ToByteArray();
            default:
                throw new ArgumentException(kind);
        }
    }
}
