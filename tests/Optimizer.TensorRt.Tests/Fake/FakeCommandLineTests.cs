using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Fake;

/// <summary>The double's command line and output format match trtexec's (TRTEXEC.md §1-2).</summary>
public sealed class FakeCommandLineTests
{
    [Theory]
    [InlineData("8.6.1.6", "&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # ")]
    [InlineData("10.9.0.34", "&&&& RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # ")]
    [InlineData("11.1.0.6", "&&&& RUNNING TensorRT.trtexec [TensorRT v110100] [b6] # ")]
    public async Task Help_prints_the_banner_and_exits_0_without_a_PASSED_line(string version, string banner)
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync(version, "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith(banner, run.Lines[0].Raw);
        Assert.False(log.Passed || log.Failed);
    }

    [Fact]
    public async Task No_arguments_print_help_then_PASSED()
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync("10.9.0.34");
        Assert.Equal(0, run.ExitCode);
        Assert.True(log.Passed);
    }

    [Theory]
    [InlineData("10.9.0.34", new[] { "--fp16", "--fp16" }, "Unknown option: --fp16 ")]
    [InlineData("10.9.0.34", new[] { "--onnx", "model.onnx" }, "Unknown option: model.onnx ")]
    [InlineData("10.9.0.34", new[] { "--workspace=64" }, "Unknown option: --workspace 64")]
    [InlineData("10.9.0.34", new[] { "--buildOnly" }, "Unknown option: --buildOnly ")]
    [InlineData("11.1.0.6", new[] { "--fp16" }, "Unknown option: --fp16 ")]
    [InlineData("11.1.0.6", new[] { "--calib=c.cache" }, "Unknown option: --calib c.cache")]
    [InlineData("8.6.1.6", new[] { "--bf16" }, "Unknown option: --bf16 ")]
    [InlineData("8.6.1.6", new[] { "--onnx=m.onnx", "--memPoolSize=workspace:1G" }, "Invalid memPoolSize value: 1G")]
    [InlineData("10.9.0.34", new[] { "--onnx=m.onnx", "--best", "--stronglyTyped" }, "--best is not allowed with --stronglyTyped")]
    [InlineData("10.9.0.34", new[] { "--skipInference" }, "Model missing or format not recognized")]
    [InlineData("10.9.0.34", new[] { "--onnx=m.onnx", "--optShapes=x:1y3" }, "Invalid --optShapes")]
    [InlineData("10.9.0.34", new[] { "--onnx=m.onnx", "--duration=soon" }, "Invalid value for --duration: soon")]
    public async Task Bad_command_lines_print_the_error_and_help_then_FAILED(string version, string[] args, string error)
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync(version, args);
        Assert.Equal(1, run.ExitCode);
        Assert.True(log.Failed);
        Assert.Contains(log.Errors, e => e.Contains(error));
        Assert.All(run.Lines.Where(l => l.IsError), l => Assert.Equal(OutputStream.Stderr, l.Stream));
        Assert.Contains(run.Lines, l => l.Stream == OutputStream.Stdout && l.Raw.Contains("=== Build Options ==="));
    }

    [Fact]
    public async Task Log_lines_have_the_trtexec_format_and_go_to_the_right_stream()
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("fp32")}", "--duration=0.02", "--warmUp=5");
        Assert.True(log.Passed);
        var prefixed = run.Lines.Where(l => l.Severity != '\0').ToList();
        Assert.All(prefixed, l => Assert.Equal(l.Severity is 'I' or 'V' ? OutputStream.Stdout : OutputStream.Stderr, l.Stream));
        Assert.Contains(prefixed, l => l.Severity == 'W' && l.Text.StartsWith("Dynamic dimensions required for input: x"));
        Assert.Contains(run.Lines, l => l.Raw.EndsWith("] [I] ")); // a blank line keeps its trailing space
        Assert.All(run.Lines.Where(l => l.Severity == '\0'), l => Assert.StartsWith("&&&& ", l.Raw));
    }

    [Theory]
    [InlineData("8.6.1.6", true)]
    [InlineData("10.9.0.34", false)]
    public async Task Workspace_is_deprecated_on_8x_and_gone_from_10(string version, bool accepted)
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync(version, $"--onnx={fake.Model("fp32")}", "--workspace=64", "--skipInference");
        Assert.Equal(accepted, log.Passed);
        if (accepted) Assert.Contains("--workspace flag has been deprecated by --memPoolSize flag.", log.Warnings);
    }

    [Fact]
    public async Task A_bad_device_exits_1_without_a_FAILED_line()
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("fp32")}", "--device=3");
        Assert.Equal(1, run.ExitCode);
        Assert.False(log.Failed);
        Assert.Contains("Cannot find device ID 3!", log.Errors);
    }

    [Fact]
    public async Task The_version_can_come_from_a_flag_file()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        File.WriteAllText(dir.File("fake.conf"), "# which release to be\nFAKE_TRTEXEC_VERSION=8.6.1.6\n");
        var trtexec = FakeTrtexec.Wrapper(dir.File("bin"), "", extra: new Dictionary<string, string> { ["FAKE_TRTEXEC_CONFIG"] = dir.File("fake.conf") });
        var run = await TensorRt.Running.ProcessRunner.RunAsync(trtexec, ["--help"], null, null, CancellationToken.None);
        Assert.StartsWith("&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # ", run.Lines[0].Raw);
    }
}
