using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// The inputs fuzzing found in ../shared/fuzz-repro (kept there, read from there): models ONNX Runtime cannot run,
/// an external-data location with a NUL, element counts that overflow. Each is exit code 2 and exactly one
/// <c>error: </c> line naming the model: no stack trace, no progress line before it.
/// </summary>
public sealed class FuzzReproTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string FuzzRepro => Path.GetFullPath(Path.Combine(TestPaths.SharedModels, "..", "fuzz-repro"));

    private static TheoryData<string> Files(string folder, string pattern, Func<string, bool>? keep = null)
    {
        var dir = Path.Combine(FuzzRepro, folder);
        var files = Directory.Exists(dir) ? Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList() : [];
        return new TheoryData<string>(files.Select(f => Path.GetRelativePath(FuzzRepro, f)).Where(f => keep?.Invoke(f) ?? true));
    }

    /// <summary>
    /// Two of bench70's mutants only declare an output shape their run contradicts (an If input given a zero or an extra
    /// dim): ONNX Runtime runs them (warning "Expected shape from model ... does not match actual shape"); they failed
    /// when bench bound output buffers of the real shape, which ONNX Runtime refuses. Real exporters write such models too
    /// (ddddocr's CRNN declares [1, seqlen] for a rank-3 result), so bench times them now, with a warning.
    /// </summary>
    private static readonly HashSet<string> RunnableBench70 = new(StringComparer.Ordinal)
    {
        Path.Combine("bench70", "dim_if_input_0.onnx"), Path.Combine("bench70", "dim_if_input_extra_rank.onnx"),
    };

    public static TheoryData<string> Bench70 => Files("bench70", "*.onnx", f => !RunnableBench70.Contains(f));

    public static TheoryData<string> Bench70Runnable => Files("bench70", "*.onnx", RunnableBench70.Contains);

    public static TheoryData<string> Exit70 => Files("exit70", "*.onnx");

    public static TheoryData<string> Overflow => Files("overflow", "*.onnx");

    [Theory]
    [MemberData(nameof(Bench70))]
    public void BenchOnAModelOnnxRuntimeCannotRunIsOneLineOfError(string file)
    {
        var model = Path.Combine(FuzzRepro, file);
        AssertOneLineRefusal(CliRunner.Run("bench", model, "--runs", "2"), model);
    }

    [Theory]
    [MemberData(nameof(Bench70Runnable))]
    public void BenchTimesAModelWhoseOutputContradictsItsDeclaredShapeAndWarns(string file)
    {
        var result = CliRunner.Run("bench", Path.Combine(FuzzRepro, file), "--runs", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Matches(@"warning: output '\w+' is [0-9x]+, declared \[[0-9,?]+\]", result.Stderr);
        Assert.Contains("p50 ms", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Exit70))]
    public void InspectOfABadExternalDataLocationIsOneLineOfError(string file)
    {
        var model = Path.Combine(FuzzRepro, file);
        AssertOneLineRefusal(CliRunner.Run("inspect", model, "--json"), model);
    }

    [Theory]
    [MemberData(nameof(Overflow))]
    public void InspectOfAnElementCountThatOverflowsIsOneLineOfError(string file)
    {
        var model = Path.Combine(FuzzRepro, file);
        var result = CliRunner.Run("inspect", model, "--json");
        AssertOneLineRefusal(result, model);
        Assert.Contains("does not fit in 64 bits", result.Stderr);
    }

    [Fact]
    public void OptimizeRefusesSizeOfAShapeWhoseElementCountOverflows()
    {
        var model = Path.Combine(FuzzRepro, "overflow", "fold_size_2p32sq.onnx");
        AssertOneLineRefusal(CliRunner.Run(model, "-o", _dir.File("out")), model);
        Assert.False(Directory.Exists(_dir.File("out")));
    }

    [Fact]
    public void ExternalDataOutsideTheFolderIsRefusedBeforeOnnxRuntimeOpensTheModel()
    {
        // The NUL model's first location, rewritten to step out of the model's folder; bench hands files to ONNX Runtime.
        var source = Path.Combine(FuzzRepro, "exit70", "ext_location_nul");
        var bytes = File.ReadAllBytes(Path.Combine(source, "model.onnx"));
        var nul = "weights.bin\0.x"u8.ToArray();
        var at = bytes.AsSpan().IndexOf(nul);
        Assert.True(at > 0);
        "../weights.bin"u8.CopyTo(bytes.AsSpan(at));
        Directory.CreateDirectory(_dir.File("sub"));
        var model = _dir.File("sub/model.onnx");
        File.WriteAllBytes(model, bytes);
        File.Copy(Path.Combine(source, "weights.bin"), _dir.File("weights.bin"));
        File.Copy(Path.Combine(source, "weights.bin"), _dir.File("sub/weights.bin"));
        foreach (var args in new[] { new[] { "bench", model, "--runs", "1" }, ["inspect", model] })
        {
            var result = CliRunner.Run(args);
            AssertOneLineRefusal(result, model);
            Assert.Contains("contains '..'", result.Stderr);
        }
    }

    private static void AssertOneLineRefusal(CliRunner.Result result, string model)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + result.Stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(model, lines[0]);
        Assert.DoesNotContain("internal error", lines[0]);
    }
}
