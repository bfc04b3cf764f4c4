using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>Every way a build can fail maps to exit code 3 with trtexec's own error lines, and leaves no engine.</summary>
public sealed class BuildFailureTests
{
    public static TheoryData<string, string, string> Faults()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var version in FakeTrtexec.Versions)
        {
            data.Add(version, "build-failed", "trtexec failed (exit code 1)");
            data.Add(version, "assertion", "without a FAILED line");
            data.Add(version, "cuda", "without a FAILED line");
            data.Add(version, "killed", "trtexec was killed (exit code 137, signal 9)");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_failed_build_is_an_external_tool_error_quoting_trtexec(string version, string fault, string expected)
    {
        using var h = new BuildHarness(version, fault: fault);
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => h.BuildAsync());

        Assert.Equal(ExitCodes.ExternalToolFailed, error.ExitCode);
        Assert.Contains(expected, error.Message);
        var logPath = Path.Combine(h.Out, EngineBuilder.LogFile);
        Assert.Contains(logPath, error.Message);
        Assert.True(File.Exists(logPath));
        AssertNoEngine(h.Out);
        // The quoted lines are the error lines of the log (trtexec's own words).
        var log = await File.ReadAllTextAsync(logPath);
        var quoted = error.Message.Split('"').Where((_, i) => i % 2 == 1).ToList();
        if (fault != "killed") Assert.NotEmpty(quoted);
        Assert.All(quoted, q => Assert.Contains(q, log));
    }

    [Theory]
    [InlineData("assertion", "Assertion failure")]
    [InlineData("cuda", "Cuda failure at")]
    [InlineData("build-failed", "Building engine failed")]
    public async Task The_message_names_the_cause(string fault, string cause)
    {
        using var h = new BuildHarness("10.9.0.34", fault: fault);
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => h.BuildAsync());
        Assert.Contains(cause, error.Message);
    }

    [Fact]
    public async Task A_hung_build_is_stopped_at_the_timeout()
    {
        using var h = new BuildHarness("10.9.0.34", fault: "hang");
        var request = h.Request() with { Timeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => EngineBuilder.BuildAsync(request, CancellationToken.None));
        Assert.Contains("did not finish within 2 s", error.Message);
        AssertNoEngine(h.Out);
    }

    [Fact]
    public async Task No_gpu_fails_before_building()
    {
        using var h = new BuildHarness("10.9.0.34", fault: "no-gpu");
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => h.BuildAsync());
        Assert.Contains("no usable GPU", error.Message);
        Assert.Contains("Cannot find any available devices (GPUs)!", error.Message);
    }

    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("11.1.0.6")]
    public async Task A_model_trtexec_cannot_import_fails_with_the_parser_message(string version)
    {
        using var h = new BuildHarness(version, "qdq-asymmetric");
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => h.BuildAsync());
        Assert.Contains("TensorRT only supports symmetric quantization", error.Message);
        Assert.Contains("Failed to parse onnx file", error.Message);
        AssertNoEngine(h.Out);
    }

    [Theory]
    [InlineData("10.9.0.34", "--workspace=64", "Unknown option: --workspace 64")]
    [InlineData("11.1.0.6", "--int8", "Unknown option: --int8 ")]
    [InlineData("8.6.1.6", "--stronglyTyped", "Unknown option: --stronglyTyped ")]
    public async Task A_flag_the_release_removed_fails_as_unknown(string version, string flag, string expected)
    {
        using var h = new BuildHarness(version);
        var settings = BuildHarness.QuickSettings with { ExtraArgs = [flag] };
        var error = await Assert.ThrowsAsync<ExternalToolException>(() => h.BuildAsync(settings));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Asking_TensorRT_11_for_a_precision_the_model_lacks_is_an_input_error()
    {
        using var h = new BuildHarness("11.1.0.6");
        var settings = BuildHarness.QuickSettings with { Precision = EnginePrecision.Fp16 };
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => h.BuildAsync(settings));
        Assert.Contains("--quantize fp16", error.Message);
    }

    private static void AssertNoEngine(string outDir)
    {
        Assert.False(File.Exists(Path.Combine(outDir, EngineBuilder.EngineFile)));
        Assert.Empty(Directory.EnumerateFiles(outDir, "*.partial", new EnumerationOptions { AttributesToSkip = 0 }));
    }
}
