using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Sessions;
using Optimizer.Onnx.IR;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Benchmark;

public sealed class BenchmarkerTests
{
    private static readonly string MobileNet = TestPaths.SharedModel("mobilenet_v2.onnx");

    [Fact]
    public void ABatchSweepReportsEveryBatchSizeAndWritesTheReportFolder()
    {
        using var dir = TestPaths.NewTempDir();
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var report = Benchmarker.Run(new BenchOptions
        {
            ModelPath = MobileNet,
            Data = new DataOptions { Folder = TestPaths.SharedModel("images") },
            Warmup = 1,
            Runs = 4,
            BatchSizes = [1, 3],
        });
        var wallSeconds = wall.Elapsed.TotalSeconds;
        Assert.Equal([1, 3], report.Batches.Select(b => b.BatchSize));
        foreach (var b in report.Batches)
        {
            Assert.Equal(4, b.Runs);
            Assert.Equal(4, b.RunLatenciesMs.Length);
            Assert.True(b.LatencyMs.Min > 0 && b.LatencyMs.Min <= b.LatencyMs.P50 && b.LatencyMs.P50 <= b.LatencyMs.Max);
            // Throughput from figures the formula does not use: the timed runs fit inside the whole call, so it is at
            // least batch·runs over the wall-clock time of the call; and a mean of run times lies between the fastest
            // and the slowest, so it is between batch/max and batch/min per second.
            Assert.True(b.ThroughputPerSecond >= b.BatchSize * 4 / wallSeconds, $"{b.ThroughputPerSecond} < {b.BatchSize * 4 / wallSeconds}");
            Assert.InRange(b.ThroughputPerSecond, b.BatchSize * 1000 / b.LatencyMs.Max * (1 - 1e-9), b.BatchSize * 1000 / b.LatencyMs.Min * (1 + 1e-9));
            Assert.True(b.ColdStart.SessionCreationMs > 0 && b.ColdStart.FirstRunMs > 0);
            Assert.True(b.PeakMemoryBytes > 10 << 20);
        }

        var (files, warning) = BenchReportWriter.Write(report, dir.Path);
        Assert.Null(warning);
        Assert.Equal(["latency.csv", "report.json", "report.md", "latency_histogram_b1.png", "latency_histogram_b3.png", "latency_vs_batch.png", "throughput_vs_batch.png"], files);
        Assert.Equal(1 + 8, File.ReadAllLines(dir.File("latency.csv")).Length);
        foreach (var png in files.Where(f => f.EndsWith(".png")))
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File(png))[..4]);
        Assert.Contains("\"batchSize\": 3", File.ReadAllText(dir.File("report.json")));
        Assert.Contains("| 3 | 4 |", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void TheTimingLoopAllocatesNothingPerRun()
    {
        using var session = SessionFactory.Create(MobileNet, SessionSettings.ForSpeed);
        var inputs = BatchInputs.Make(new DataOptions(), ModelSignature.Of(session), 1);
        using var bound = new BoundSession(session, inputs, out _);
        Action run = bound.Run;
        var latencies = new double[40];
        TimingLoop.Measure(run, latencies, 5, null, null, CancellationToken.None);
        var before = GC.GetAllocatedBytesForCurrentThread();
        TimingLoop.Measure(run, latencies, 40, null, null, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.All(latencies, l => Assert.True(l > 0));
    }

    [Fact]
    public void AModelWhoseOutputContradictsItsDeclaredShapeRunsUnboundAndIsTimedAlike()
    {
        // y = Reshape(x, s) declared [1, 6] (as an exporter wrote [1, seqlen] for a rank-3 result); s = [1, 2, 3] at run
        // time: ONNX Runtime runs it but refuses a bound output buffer of the real shape
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 6);
        var s = b.Input("s", ElementType.Int64, 3);
        var y = b.Op("Reshape", [x, s]);
        y.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(1, 6));
        b.Output(y);
        using var session = SessionFactory.Create(Optimizer.Onnx.Serialization.ModelWriter.ToBytes(b.Build()), "reshape model", SessionSettings.ForSpeed);
        var inputs = new Dictionary<string, HostTensor>
        {
            ["x"] = HostTensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 6]),
            ["s"] = HostTensor.FromArray(new long[] { 1, 2, 3 }, [3]),
        };
        using var bound = new BoundSession(session, inputs, out _);
        for (var i = 0; i < 3; i++) bound.Run();
        bound.RunBare();
        Assert.Empty(bound.OutputValues);
        Assert.False(BoundSession.Fits([1, 6], [1, 2, 3]));
        Assert.False(BoundSession.Fits([1, 6], [1, 5]));
        Assert.True(BoundSession.Fits([-1, 6], [4, 6]));
    }

    [Fact]
    public void AFixedBatchAxisRefusesAnotherBatchSize()
    {
        var signature = new ModelSignature([new TensorSpec("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [1, 4], [], true)], []);
        var e = Assert.Throws<Optimizer.Onnx.Errors.InvalidInputException>(() => BatchInputs.Make(new DataOptions(), signature, 8));
        Assert.Contains("no dynamic batch axis", e.Message);
    }

    [Fact]
    public void ASweepIsRefusedBeforeAnyBatchSizeIsTimedWhenALaterSizeCannotRun()
    {
        // batch 1 fits a model fixed at batch 1, batch 4 does not: refused once the model is open, not after timing batch 1
        var b = new GraphBuilder();
        b.Output(b.Op("Relu", [b.Input("x", ElementType.Float, 1, 4)]));
        using var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir.Path, "fixed.onnx");
        File.WriteAllBytes(path, Optimizer.Onnx.Serialization.ModelWriter.ToBytes(b.Model));
        var phases = new Phases();
        var e = Assert.Throws<Optimizer.Onnx.Errors.InvalidInputException>(() =>
            Benchmarker.Run(new BenchOptions { ModelPath = path, Warmup = 1, Runs = 3, BatchSizes = [1, 4] }, phases));
        Assert.Contains("batch size 4", e.Message);
        Assert.DoesNotContain(phases.Seen, p => p.Phase.StartsWith("timed", StringComparison.Ordinal) || p.Phase.StartsWith("warm", StringComparison.Ordinal));
        // the same sweep on a model with a dynamic batch axis runs both sizes
        var d = new GraphBuilder();
        d.Output(d.Op("Relu", [d.Input("x", ElementType.Float, "N", 4)]));
        File.WriteAllBytes(path, Optimizer.Onnx.Serialization.ModelWriter.ToBytes(d.Model));
        var report = Benchmarker.Run(new BenchOptions { ModelPath = path, Warmup = 1, Runs = 3, BatchSizes = [1, 4] });
        Assert.Equal([1, 4], report.Batches.Select(r => r.BatchSize));
    }

    private sealed class Phases : IProgress<BenchProgress>
    {
        public List<BenchProgress> Seen { get; } = [];

        public void Report(BenchProgress value) => Seen.Add(value);
    }
}
