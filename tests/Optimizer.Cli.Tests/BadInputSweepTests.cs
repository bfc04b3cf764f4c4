using System.Security.Cryptography;
using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Bad input across every command: a broken model, a bad option, an output that cannot be written, bad data. Each is
/// refused with exit code 2 and one <c>error: </c> line naming the file or option, no stack trace, nothing written
/// (the test folder is byte for byte as before, so the input is unchanged too). No case may reach trtexec: the
/// engine commands get a trtexec that does not exist, so a refusal that comes too late shows as exit code 3.
/// </summary>
public sealed class BadInputSweepTests : IDisposable
{
    private const string NoTrtexec = "/nonexistent/trtexec";
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private string Out => _dir.File("out");

    private string Valid => Write("valid.onnx", ValidModel());

    public void Dispose() => _dir.Dispose();

    // ---- broken models, through every command that reads one ----

    public static TheoryData<string> BrokenModels =>
        ["empty", "truncated", "random", "text", "folder", "missing", "external-missing", "external-short", "undefined", "cycle", "unimported-domain"];

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void ABrokenModelIsRefusedByEveryCommand(string kind)
    {
        var model = MakeBroken(kind);
        var data = Npy("data", "x_0000.npy", HostTensor.FromArray(new float[64], [1, 64]));
        string[][] commands =
        [
            [model, "-o", Out],
            ["inspect", model],
            ["bench", model, "--runs", "1", "--warmup", "0", "--report", Out],
            ["validate", "--baseline", Valid, "--candidate", model, "--data", data, "--report", Out],
            ["engine", model, "-o", Out, "--trtexec", NoTrtexec],
        ];
        foreach (var args in commands) AssertRefused(args, model);
    }

    [Theory]
    [InlineData("empty", "empty (0 bytes)")]
    [InlineData("folder", "is a folder")]
    [InlineData("unimported-domain", "does not import")]
    public void TheReaderSaysWhatIsWrongWithTheFile(string kind, string reason)
    {
        var model = MakeBroken(kind);
        foreach (var args in new[] { new[] { model, "-o", Out }, ["inspect", model], ["engine", model, "-o", Out, "--trtexec", NoTrtexec] })
            Assert.Contains(reason, AssertRefused(args, model));
    }

    [Fact]
    public void AnOperatorOfAnImportedCustomDomainIsNotBadInput()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 64);
        var custom = b.NodeIn(b.Graph, "Foo", [x], 1, [], "com.example");
        b.Model.OpsetImports.Add(new OpsetImport("com.example", 1));
        b.Output(b.Op("Relu", [custom.Output()]));
        var result = CliRunner.Run(Write("custom.onnx", b.Build()), "-o", Out);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    // ---- output locations that cannot be written: exit 2 before any work, not 70 after it ----

    public static TheoryData<string, string> Outputs => new()
    {
        { "-o under a file", "-o" },
        { "-o read-only", "-o" },
        { "engine -o a file", "-o" },
        { "engine -o read-only", "-o" },
        { "engine --engine-cache a file", "--engine-cache" },
        { "root --engine-cache a file", "--engine-cache" },
        { "bench --report a file", "--report" },
        { "bench --report read-only", "--report" },
        { "validate --report a file", "--report" },
        { "validate --report read-only", "--report" },
        { "validate --junit a folder", "--junit" },
        { "validate --junit read-only", "--junit" },
        { "root --junit read-only", "--junit" },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void AnOutputThatCannotBeWrittenIsAUsageError(string kind, string option)
    {
        var file = _dir.File("a-file");
        File.WriteAllText(file, "not a folder");
        var readOnly = ReadOnlyFolder();
        var model = Valid;
        var data = Npy("data", "x_0000.npy", HostTensor.FromArray(new float[64], [1, 64]));
        string[] args = kind switch
        {
            "-o under a file" => [model, "-o", Path.Combine(file, "out")],
            "-o read-only" => [model, "-o", Path.Combine(readOnly, "out")],
            "engine -o a file" => ["engine", model, "-o", file, "--trtexec", NoTrtexec],
            "engine -o read-only" => ["engine", model, "-o", Path.Combine(readOnly, "out"), "--trtexec", NoTrtexec],
            "engine --engine-cache a file" => ["engine", model, "-o", Out, "--trtexec", NoTrtexec, "--engine-cache", file],
            "root --engine-cache a file" => [model, "-o", Out, "--engine", "--trtexec", NoTrtexec, "--engine-cache", file],
            "bench --report a file" => ["bench", model, "--runs", "1", "--report", file],
            "bench --report read-only" => ["bench", model, "--runs", "1", "--report", Path.Combine(readOnly, "report")],
            "validate --report a file" => ["validate", "--baseline", model, "--candidate", model, "--data", data, "--report", file],
            "validate --report read-only" => ["validate", "--baseline", model, "--candidate", model, "--data", data, "--report", Path.Combine(readOnly, "report")],
            "validate --junit a folder" => ["validate", "--baseline", model, "--candidate", model, "--data", data, "--report", Out, "--junit", _dir.Path],
            "validate --junit read-only" => ["validate", "--baseline", model, "--candidate", model, "--data", data, "--report", Out, "--junit", Path.Combine(readOnly, "gates.xml")],
            "root --junit read-only" => [model, "-o", Out, "--validate", data, "--junit", Path.Combine(readOnly, "gates.xml")],
            _ => throw new ArgumentException(kind),
        };
        AssertRefused(args, option);
        Assert.False(Directory.Exists(Path.Combine(readOnly, "out")) || Directory.Exists(Path.Combine(readOnly, "report")));
    }

    // ---- options ----

    public static TheoryData<string, string[]> BadOptions => new()
    {
        { "--passes", ["{model}", "-o", "{out}", "--passes", "fold-constants,frobnicate"] },
        { "--passes", ["{model}", "-o", "{out}", "--passes", ""] },
        { "--passes", ["{model}", "-o", "{out}", "--passes", ",,"] },
        { "--shapes", ["{model}", "-o", "{out}", "--shapes", "x:1xAx64"] },
        { "--shapes", ["{model}", "-o", "{out}", "--shapes", "nope:1x64"] },
        { "--opset", ["{model}", "-o", "{out}", "--opset", "5"] },
        { "--opset", ["{model}", "-o", "{out}", "--opset", "abc"] },
        { "--shapes", ["bench", "{model}", "--runs", "1", "--report", "{out}", "--shapes", "nope:1x64"] },
        { "--shapes", ["bench", "{model}", "--runs", "1", "--report", "{out}", "--shapes", "x:1xQ"] },
        { "--shapes", ["bench", "{tiny}", "--runs", "1", "--report", "{out}", "--shapes", "input:100000x3x64x64"] },
        { "--batch", ["bench", "{tiny}", "--runs", "1", "--report", "{out}", "--batch", "1000000"] },
        { "--layout", ["bench", "{tiny}", "--runs", "1", "--report", "{out}", "--layout", "xyz"] },
        { "--shapes", ["validate", "--baseline", "{model}", "--candidate", "{model}", "--report", "{out}", "--shapes", "nope:1x64"] },
        { "--candidate", ["validate", "--baseline", "{model}", "--report", "{out}"] },
        { "--shapes", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--shapes", "nope:1x64"] },
        { "--min-shapes", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--min-shapes", "nope:1x64"] },
        { "--shapes", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--shapes", "x:1xQ"] },
        { "--workspace", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--workspace", "-1"] },
        { "--device", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--device", "-1"] },
        { "--optimization-level", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--optimization-level", "9"] },
        { "--precision", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--precision", "fp8"] },
        { "--trtexec-arg", ["engine", "{model}", "-o", "{out}", "--trtexec", NoTrtexec, "--trtexec-arg=noflag"] },
        // The root command's engine options are checked before the optimized model is written.
        { "--engine-shapes", ["{model}", "-o", "{out}", "--engine", "--trtexec", NoTrtexec, "--engine-shapes", "nope:1x64"] },
        { "--engine-shapes", ["{model}", "-o", "{out}", "--engine", "--trtexec", NoTrtexec, "--engine-shapes", "x:1x64x3"] },
        { "--engine-timeout", ["{model}", "-o", "{out}", "--engine", "--trtexec", NoTrtexec, "--engine-timeout", "0"] },
        { "--engine-optimization-level", ["{model}", "-o", "{out}", "--engine", "--trtexec", NoTrtexec, "--engine-optimization-level", "9"] },
        { "--trtexec-arg", ["{model}", "-o", "{out}", "--engine", "--trtexec", NoTrtexec, "--trtexec-arg=noflag"] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void ABadOptionIsRefusedNamingIt(string option, string[] template)
    {
        var (model, tiny) = (Valid, TinyCnn);
        var args = template.Select(a => a.Replace("{model}", model).Replace("{tiny}", tiny).Replace("{out}", Out)).ToArray();
        AssertRefused(args, option);
    }

    // ---- data for bench, validate and optimize --validate ----

    public static TheoryData<string> BadData =>
        ["dtype", "shape", "rank", "nan", "corrupt-npy", "truncated-npy", "corrupt-npz", "npz-wrong-name", "empty-folder", "missing-folder", "a-file",
         "broken-image", "truncated-image"];

    [Theory]
    [MemberData(nameof(BadData))]
    public void BadDataIsRefusedNamingTheFile(string kind)
    {
        var (data, culprit, images) = MakeData(kind);
        var model = images ? TinyCnn : Valid;
        string[][] commands =
        [
            ["bench", model, "--data", data, "--runs", "1", "--warmup", "0", "--report", Out],
            ["validate", "--baseline", model, "--candidate", model, "--data", data, "--report", Out],
            // The pipeline checks the data before it writes anything.
            [model, "-o", Out, "--validate", data],
        ];
        foreach (var args in commands) AssertRefused(args, culprit);
    }

    [Theory]
    [InlineData("z", "y")]
    [InlineData("x", "other")]
    public void ValidatingModelsWithDifferentInputsOrOutputsIsRefused(string input, string output)
    {
        var candidate = Write("candidate.onnx", ValidModel(input, output));
        var data = Npy("data", "x_0000.npy", HostTensor.FromArray(new float[64], [1, 64]));
        AssertRefused(["validate", "--baseline", Valid, "--candidate", candidate, "--data", data, "--report", Out], candidate);
        AssertRefused(["validate", "--baseline", Valid, "--candidate", candidate, "--report", Out], candidate);
    }

    // ---- helpers ----

    /// <summary>Runs the command line and checks the refusal; returns the error line.</summary>
    private string AssertRefused(string[] args, string culprit)
    {
        var before = Snapshot();
        var result = CliRunner.Run(args);
        var command = string.Join(' ', args);
        Assert.True(result.ExitCode == 2, $"{command}: exit code {result.ExitCode}\n{result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, $"{command}: expected one error line\n{result.Stderr}");
        // Besides the error only progress lines (bench's "batch 1: loading"), never a usage hint or a continuation.
        Assert.True(lines.All(l => l.StartsWith("error: ", StringComparison.Ordinal) || l.StartsWith("batch ", StringComparison.Ordinal)),
            $"{command}: more than the error line\n{result.Stderr}");
        Assert.True(errors[0].Contains(culprit, StringComparison.Ordinal), $"{command}: the error does not name '{culprit}'\n{errors[0]}");
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(Out), $"{command}: wrote {Out}");
        Assert.Equal(before, Snapshot()); // nothing written, nothing changed
        return errors[0];
    }

    /// <summary>Every file and folder under the test folder, with its content's hash.</summary>
    private SortedDictionary<string, string> Snapshot()
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories))
            all[entry] = File.Exists(entry) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry))) : "folder";
        return all;
    }

    private static string TinyCnn => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    private static Model ValidModel(string input = "x", string output = "y")
    {
        var b = new GraphBuilder();
        var x = b.Input(input, ElementType.Float, 1, 64);
        var w = b.RandomInitializer("w", 1, 64, 64);
        var y = b.Op("Relu", [b.Op("MatMul", [x, w])]);
        y.Name = output;
        b.Output(y);
        return b.Build();
    }

    private string Write(string name, Model model, ModelWriteOptions? options = null)
    {
        var path = _dir.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) ModelWriter.Write(model, path, options);
        return path;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        File.WriteAllBytes(_dir.File(name), bytes);
        return _dir.File(name);
    }

    private string MakeBroken(string kind)
    {
        ModelProto Proto() => ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(ValidModel()));
        switch (kind)
        {
            case "empty": return WriteBytes("bad.onnx", []);
            case "truncated": return WriteBytes("bad.onnx", File.ReadAllBytes(TestPaths.SharedModel("squeezenet1_1.onnx"))[..1000]);
            case "random":
                var random = new byte[4096];
                new Random(7).NextBytes(random);
                return WriteBytes("bad.onnx", random);
            case "text": return WriteBytes("bad.onnx", "this is not a model\n"u8.ToArray());
            case "folder":
                Directory.CreateDirectory(_dir.File("bad.onnx"));
                return _dir.File("bad.onnx");
            case "missing": return _dir.File("missing.onnx");
            case "external-missing" or "external-short":
                var path = Write("external/model.onnx", ValidModel(), new ModelWriteOptions { ExternalData = ExternalDataMode.Always });
                var bytes = File.ReadAllBytes(path + ".data");
                if (kind == "external-missing") File.Delete(path + ".data");
                else File.WriteAllBytes(path + ".data", bytes[..(bytes.Length / 2)]);
                return path;
            case "undefined":
                var undefined = Proto();
                undefined.Graph.Node[0].Input[0] = "nowhere";
                return WriteBytes("bad.onnx", undefined.ToByteArray());
            case "cycle":
                var cycle = Proto();
                cycle.Graph.Node[0].Input[0] = cycle.Graph.Node[1].Output[0];
                return WriteBytes("bad.onnx", cycle.ToByteArray());
            case "unimported-domain":
                var b = new GraphBuilder();
                var x = b.Input("x", ElementType.Float, 1, 64);
                b.Output(b.Op("Relu", [b.NodeIn(b.Graph, "Foo", [x], 1, [], "com.example").Output()]));
                return Write("bad.onnx", b.Build());
            default: throw new ArgumentException(kind);
        }
    }

    private string Npy(string folder, string name, HostTensor tensor)
    {
        Directory.CreateDirectory(_dir.File(folder));
        NpyFormat.Write(Path.Combine(_dir.File(folder), name), tensor);
        return _dir.File(folder);
    }

    /// <summary>A bad data folder of one kind: the folder, what the error must name, and whether it holds images (for tiny_cnn).</summary>
    private (string Folder, string Culprit, bool Images) MakeData(string kind)
    {
        var folder = _dir.File("data");
        var sample = Path.Combine(folder, "x_0000.npy");
        var good = HostTensor.FromArray(new float[64], [1, 64]);
        switch (kind)
        {
            case "dtype": Npy("data", "x_0000.npy", HostTensor.FromArray(new double[64], [1, 64])); return (folder, sample, false);
            case "shape": Npy("data", "x_0000.npy", HostTensor.FromArray(new float[32], [1, 32])); return (folder, sample, false);
            case "rank": Npy("data", "x_0000.npy", HostTensor.FromArray(new float[64], [64])); return (folder, sample, false);
            case "nan":
                var values = new float[64];
                values[5] = float.NaN;
                Npy("data", "x_0000.npy", HostTensor.FromArray(values, [1, 64]));
                return (folder, sample, false);
            case "corrupt-npy":
                Directory.CreateDirectory(folder);
                File.WriteAllText(sample, "not numpy at all");
                return (folder, sample, false);
            case "truncated-npy":
                Npy("data", "x_0000.npy", good);
                File.WriteAllBytes(sample, File.ReadAllBytes(sample)[..^10]);
                return (folder, sample, false);
            case "corrupt-npz":
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "s0.npz"), "not a zip archive");
                return (folder, Path.Combine(folder, "s0.npz"), false);
            case "npz-wrong-name":
                Directory.CreateDirectory(folder);
                using (var stream = File.Create(Path.Combine(folder, "s0.npz")))
                    NpzFormat.Write(stream, new Dictionary<string, HostTensor> { ["q"] = good });
                return (folder, Path.Combine(folder, "s0.npz"), false);
            case "empty-folder": Directory.CreateDirectory(folder); return (folder, folder, false);
            case "missing-folder": return (folder, folder, false);
            case "a-file":
                File.WriteAllText(folder, "a file, not a folder");
                return (folder, folder, false);
            case "broken-image":
                Directory.CreateDirectory(folder);
                File.WriteAllBytes(Path.Combine(folder, "a.png"), [.. Enumerable.Range(0, 500).Select(i => (byte)(i * 37))]);
                return (folder, Path.Combine(folder, "a.png"), true);
            case "truncated-image":
                Directory.CreateDirectory(folder);
                var png = File.ReadAllBytes(Path.Combine(TestPaths.SharedModels, "images", "coffee.png"));
                File.WriteAllBytes(Path.Combine(folder, "a.png"), png[..(png.Length / 3)]);
                return (folder, Path.Combine(folder, "a.png"), true);
            default: throw new ArgumentException(kind);
        }
    }

    /// <summary>
    /// A folder no file can be created in: a read-only one of ours, or /proc when file modes do not stop this user
    /// (root).
    /// </summary>
    private string ReadOnlyFolder()
    {
        var folder = _dir.File("read-only");
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the read-only folder of these tests is made the Linux way");
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        try
        {
            using (File.Create(Path.Combine(folder, "probe"), 1, FileOptions.DeleteOnClose)) { }
            return "/proc";
        }
        catch (UnauthorizedAccessException)
        {
            return folder;
        }
    }
}
