using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Tests.Logs;

/// <summary>The parser on real trtexec output (the excerpts quoted in TRTEXEC.md).</summary>
public sealed class LogParserTests
{
    private static TrtexecLog Parse(params (OutputStream Stream, string Line)[] lines) =>
        LogParser.ParseAll(lines.Select(l => LogLine.Parse(l.Stream, l.Line)));

    private static (OutputStream, string) Out(string line) => (OutputStream.Stdout, line);
    private static (OutputStream, string) Err(string line) => (OutputStream.Stderr, line);

    [Fact]
    public void Reads_a_real_10_9_run()
    {
        var log = Parse(
            Out("&&&& RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # trtexec --onnx=fcn-resnet101.onnx --saveEngine=fcn-resnet101.engine --optShapes=input:1x3x1026x1282"),
            Out("[04/08/2025-23:13:01] [I] Selected Device: NVIDIA GeForce RTX 3070"),
            Out("[04/08/2025-23:13:01] [I] Compute Capability: 8.6"),
            Out("[04/08/2025-23:13:01] [I] Finished parsing network model. Parse time: 0.274727"),
            Out("[04/08/2025-23:14:46] [I] Engine built in 104.774 sec."),
            Out("[04/08/2025-23:14:46] [I] Created engine with size: 231.019 MiB"),
            Out("[04/08/2025-23:15:51] [I] === Performance summary ==="),
            Out("[04/08/2025-23:15:51] [I] Throughput: 8.66824 qps"),
            Out("[04/08/2025-23:15:51] [I] Latency: min = 110.946 ms, max = 115.703 ms, mean = 112.938 ms, median = 112.567 ms, percentile(90%) = 114.427 ms, percentile(95%) = 115.415 ms, percentile(99%) = 115.703 ms"),
            Out("[04/08/2025-23:15:51] [I] GPU Compute Time: min = 1.29477e+02 ms, max = 112 ms, mean = 111.2 ms, median = 111.1 ms, percentile(90%) = 111.9 ms, percentile(95%) = 112 ms, percentile(99%) = 112 ms"),
            Out("[04/08/2025-23:15:51] [I] Total Host Walltime: 3.34555 s"),
            Out("[04/08/2025-23:15:51] [I] Total GPU Compute Time: 3.23514 s"),
            Err("[04/08/2025-23:15:51] [W] * GPU compute time is unstable, with coefficient of variance = 1.08662%."),
            Out("&&&& PASSED TensorRT.trtexec [TensorRT v100900] [b34] # trtexec --onnx=fcn-resnet101.onnx"));

        Assert.Equal(new TensorRtVersion(10, 9, 0, 34), log.Version);
        Assert.Equal(new GpuInfo("NVIDIA GeForce RTX 3070", "8.6", null), log.Gpu);
        Assert.Equal((0.274727, 104.774, 231.019), (log.ParseSeconds!.Value, log.BuildSeconds!.Value, log.EngineSizeMiB!.Value));
        var s = log.Summary!;
        Assert.Equal(8.66824, s.ThroughputQps);
        Assert.Equal((110.946, 115.703, 112.938, 112.567), (s.Latency.Min, s.Latency.Max, s.Latency.Mean, s.Latency.Median));
        Assert.Equal([114.427, 115.415, 115.703], new[] { 90.0, 95, 99 }.Select(p => s.Latency.Percentile(p)!.Value));
        Assert.Equal(129.477, s.GpuCompute.Min, 9);
        Assert.Equal((3.34555, 3.23514), (s.TotalHostWalltimeSeconds!.Value, s.TotalGpuComputeSeconds!.Value));
        Assert.Contains("* GPU compute time is unstable, with coefficient of variance = 1.08662%.", log.Warnings);
        Assert.True(log.Passed);
        Assert.False(log.Failed);
    }

    [Fact]
    public void Collects_the_error_lines_of_a_failure_including_unprefixed_stderr()
    {
        var log = Parse(
            Out("&&&& RUNNING TensorRT.trtexec [TensorRT v101300] [b35] # trtexec --onnx=missing.onnx"),
            Err("[09/01/2025-10:00:00] [E] Error[3]: Input file cannot be found"),
            Err("[09/01/2025-10:00:00] [E] [TRT] ModelImporter.cpp:797: Failed to parse ONNX model"),
            Err("Cuda failure at sampleDevice.h:52: out of memory"),
            Err("[09/01/2025-10:00:00] [E] Engine set up failed"),
            Out("&&&& FAILED TensorRT.trtexec [TensorRT v101300] [b35] # trtexec --onnx=missing.onnx"));

        Assert.Equal(["Error[3]: Input file cannot be found", "[TRT] ModelImporter.cpp:797: Failed to parse ONNX model",
            "Cuda failure at sampleDevice.h:52: out of memory", "Engine set up failed"], log.Errors);
        Assert.True(log.Failed);
        Assert.Null(log.Summary);
    }

    [Fact]
    public void Reports_the_phases_in_order()
    {
        var parser = new LogParser();
        var phases = new List<BuildPhase>();
        parser.PhaseChanged += phases.Add;
        foreach (var text in new[] { "Start parsing network model.", "Finished parsing network model. Parse time: 0.1", "Starting inference" })
            parser.Add(LogLine.Parse(OutputStream.Stdout, $"[01/01/2025-00:00:00] [I] {text}"));
        parser.Add(LogLine.Parse(OutputStream.Stdout, "&&&& PASSED TensorRT.trtexec [TensorRT v8601] # trtexec"));
        Assert.Equal([BuildPhase.Parsing, BuildPhase.Building, BuildPhase.Inference, BuildPhase.Finished], phases);
    }
}
