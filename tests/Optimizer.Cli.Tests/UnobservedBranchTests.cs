using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A model with If branches (silero VAD v5 has one per sample rate) calibrated on data that takes one branch: the other
/// branch's tensors were never computed, so its nodes stay float, as they run on data that takes it, instead of
/// quantizing every value to the zero point of an empty range.
/// </summary>
public sealed class UnobservedBranchTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private string BranchModel()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var cond = b.Input("cond", ElementType.Bool);
        Graph Branch(string name, string weight)
        {
            var g = new Graph(name);
            var conv = g.AddNode("Conv", [x, b.RandomInitializer(weight, 0.5f, 4, 3, 3, 3)], [name + "_conv"], name: name + "_conv").Output();
            g.AddOutput(g.AddNode("Relu", [conv], [name + "_relu"], name: name + "_relu").Output());
            return g;
        }
        b.Output(b.Op("If", [cond], ("then_branch", Branch("then", "w_then")), ("else_branch", Branch("else", "w_else"))));
        var path = _dir.File("branches.onnx");
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    private string Data(string name, params bool[] conditions)
    {
        var folder = Directory.CreateDirectory(_dir.File(name)).FullName;
        var random = new Random(name.Length);
        for (var i = 0; i < conditions.Length; i++)
        {
            NpyFormat.Write(Path.Combine(folder, $"x_{i:D4}.npy"),
                HostTensor.FromArray(Enumerable.Range(0, 192).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), [1, 3, 8, 8]));
            NpyFormat.Write(Path.Combine(folder, $"cond_{i:D4}.npy"), HostTensor.FromArray(new[] { conditions[i] }, []));
        }
        return folder;
    }

    [Fact]
    public void TheBranchNoCalibrationSampleTookStaysFloatAndRunsAsFp32()
    {
        var model = BranchModel();
        var calib = Data("calib", true, true, true, true);
        var other = Data("other", false, false, false);

        var result = CliRunner.Run(model, "-o", _dir.File("out"), "--quantize", "int8", "--calibrate", calib);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("note: 1 tensor was never computed on the calibration data", result.Stderr);
        Assert.Contains("'else_relu'", result.Stderr); // the Relu folds into the Conv's output range
        Assert.True(result.Stderr.Contains("INT8 (static, cpu): 1 node quantized (1 Conv); in float: 1 Conv ('else_relu' was never computed on the calibration data"), result.Stderr);
        var written = ModelReader.Read(_dir.File(Path.Combine("out", "model.onnx")));
        var branches = written.Graph.Nodes.Single(n => n.OpType == "If").Subgraphs.ToDictionary(g => g.Name);
        Assert.Contains(branches["then"].Nodes, n => n.OpType == "QuantizeLinear");
        Assert.DoesNotContain(branches["else"].Nodes, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");

        // the else branch, run on data that takes it, gives FP32's outputs; the then branch is int8 and close
        var check = CliRunner.Run("validate", "--baseline", model, "--candidate", _dir.File(Path.Combine("out", "model.onnx")), "--data", other,
            "--max-accuracy-drop", "max-abs=1e-5");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        var same = CliRunner.Run("validate", "--baseline", model, "--candidate", _dir.File(Path.Combine("out", "model.onnx")), "--data", calib,
            "--max-accuracy-drop", "min-cosine=0.99");
        Assert.True(same.ExitCode == 0, same.Stdout + same.Stderr);
    }

    [Fact]
    public void CalibrationDataThatTakesBothBranchesQuantizesBoth()
    {
        var model = BranchModel();
        var calib = Data("calib", true, false, true, false);

        var result = CliRunner.Run(model, "-o", _dir.File("out"), "--quantize", "int8", "--calibrate", calib);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("never computed", result.Stderr);
        Assert.Contains("INT8 (static, cpu): 2 nodes quantized (2 Conv)", result.Stderr);
    }

    [Fact]
    public void WeightSideRemediesAndPruningSayTheyDoNotReachIntoBranches()
    {
        var model = BranchModel();
        var calib = Data("calib", true, false, true, false);

        var result = CliRunner.Run(model, "-o", _dir.File("out"), "--quantize", "int8", "--calibrate", calib, "--bias-correction");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("note: --bias-correction reaches the main graph's layers only: 2 Conv/Gemm/MatMul inside If/Loop/Scan bodies", result.Stderr);
        var plain = CliRunner.Run(model, "-o", _dir.File("plain"), "--quantize", "int8", "--calibrate", calib);
        Assert.DoesNotContain("main graph's layers only", plain.Stderr);

        var pruned = CliRunner.Run(model, "-o", _dir.File("pruned"), "--prune", "structured", "--prune-amount", "0.3");
        Assert.True(pruned.ExitCode == 0, pruned.Stderr);
        Assert.Contains("note: pruning works on the main graph's layers only: 2 Conv/Gemm/MatMul inside If/Loop/Scan bodies are left whole", pruned.Stderr);
        var flat = CliRunner.Run(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), "-o", _dir.File("flat"), "--prune", "structured", "--prune-amount", "0.3");
        Assert.True(flat.ExitCode == 0, flat.Stderr);
        Assert.DoesNotContain("main graph's layers only", flat.Stderr);
    }
}
