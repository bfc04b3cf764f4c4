using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Benchmark.Profiling;

namespace Optimizer.Runtime.Tests.Benchmark.Profiling;

public sealed class ProfileAggregatorTests
{
    // Three runs in ONNX Runtime's trace format: the first is warm-up. Each run has conv (Conv), relu (Relu) and
    // mm (MatMul), plus the fence and session events the reader must not count as kernel time.
    private static string Trace()
    {
        var events = new List<string> { Session("session_initialization", 0, 900) };
        var durations = new[] { (Conv: 500, Relu: 50, MatMul: 400), (Conv: 100, Relu: 10, MatMul: 40), (Conv: 120, Relu: 14, MatMul: 60) };
        for (var r = 0; r < durations.Length; r++)
        {
            var t = 1000 + r * 2000;
            var (conv, relu, mm) = durations[r];
            events.Add(Session("model_run", t, 1500));
            events.Add(Session("SequentialExecutor::Execute", t + 1, 1400));
            events.Add(Node("conv_fence_before", "Conv", t + 2, 3));
            events.Add(Node("conv_kernel_time", "Conv", t + 5, conv));
            events.Add(Node("relu_kernel_time", "Relu", t + 700, relu));
            events.Add(Node("mm_kernel_time", "MatMul", t + 800, mm));
        }
        return "[\n" + string.Join(",\n", events) + "\n]\n";
        static string Session(string name, int ts, int dur) => $$$"""{"cat":"Session","pid":1,"tid":1,"dur":{{{dur}}},"ts":{{{ts}}},"ph":"X","name":"{{{name}}}","args":{}}""";
        static string Node(string name, string op, int ts, int dur) =>
            $$$"""{"cat":"Node","pid":1,"tid":1,"dur":{{{dur}}},"ts":{{{ts}}},"ph":"X","name":"{{{name}}}","args":{"op_name":"{{{op}}}","provider":"CPUExecutionProvider","node_index":"0"}}""";
    }

    [Fact]
    public void SumsKernelTimePerNodeAndOpTypeOverTheLastRunsOnly()
    {
        var trace = ProfileTrace.Parse(Trace(), "test");
        Assert.Equal(3, trace.Runs.Count);
        Assert.Equal(9, trace.Kernels.Count); // fences are not kernels
        var table = ProfileAggregator.Aggregate(trace.LastRuns(2), "test");
        Assert.Equal(2, table.Runs);
        Assert.Equal(3.0, table.RunTimeMs);
        Assert.Equal((100 + 10 + 40 + 120 + 14 + 60) / 1000.0, table.KernelTimeMs, 12);
        Assert.Equal(["Conv", "MatMul", "Relu"], table.OpTypes.Select(o => o.Name));
        var conv = table.OpTypes[0];
        Assert.Equal(0.220, conv.TotalMs, 12);
        Assert.Equal(2, conv.Calls);
        Assert.Equal(0.110, conv.MeanMs, 12);
        Assert.Equal(0.110, conv.MsPerRun, 12);
        Assert.Equal(220.0 / 344, conv.Share, 12);
        Assert.Equal(24.0 / 344, table.OpTypes[2].Share, 12);
        Assert.Equal(1.0, table.OpTypes.Sum(o => o.Share), 12);
        Assert.Equal(["conv", "mm", "relu"], table.Nodes.Select(n => n.Name));
        Assert.Equal("CPUExecutionProvider", table.Nodes[0].Provider);
        Assert.Equal(0.344 / 3.0, table.KernelCoverage!.Value, 12);
    }

    [Fact]
    public void TheOpTypeComparisonHasEveryOpTypeOfEitherModel()
    {
        var table = ProfileAggregator.Aggregate(ProfileTrace.Parse(Trace(), "test").LastRuns(2), "test");
        var fused = table with
        {
            OpTypes = [new ProfileEntry("FusedConv", "FusedConv", null, 0.1, 0.5, 2, 0.05, 0.05), table.OpTypes[1]],
        };
        ModelProfile Profile(ProfileTable t) => new() { Model = "m", BatchSize = 1, Warmup = 1, Table = t, TraceFileName = "p.json" };
        var rows = ProfileComparison.Of(Profile(table), Profile(fused)).OpTypes.ToDictionary(r => r.OpType);
        Assert.Equal(["Conv", "FusedConv", "MatMul", "Relu"], rows.Keys.Order());
        Assert.Equal(0.110, rows["Conv"].BaselineMsPerRun, 12);
        Assert.Equal(0, rows["Conv"].CandidateMsPerRun);
        Assert.Equal(-0.110, rows["Conv"].ChangeMs, 12);
        Assert.Null(rows["FusedConv"].Ratio);
        Assert.Equal(1.0, rows["MatMul"].Ratio);
    }

    [Theory]
    [InlineData("{\"traceEvents\": 1}")]
    [InlineData("[{\"cat\": ")]
    public void ATraceThatIsNotOnnxRuntimesFormatIsRefused(string text) =>
        Assert.Throws<InvalidInputException>(() => ProfileTrace.Parse(text, "x.json"));
}
