using System.Buffers.Binary;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>Builds FP32, FP16 and Q/DQ models with every emulated TensorRT release and checks what the builder reports.</summary>
public sealed class EngineBuildTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var version in FakeTrtexec.Versions)
            foreach (var kind in TestModels.Kinds) data.Add(version, kind);
        return data;
    }

    /// <summary>The precision flags each release must get for each model (TRTEXEC.md §1, §3).</summary>
    private static string[] ExpectedPrecisionFlags(string version, string kind) => (version[..version.IndexOf('.', 3)], kind) switch
    {
        ("11.1", _) => [],
        (_, "fp32") => [],
        (_, "fp16") => ["--fp16"],
        ("10.13", "qdq") => ["--stronglyTyped"],
        _ => ["--int8"],
    };

    private static readonly HashSet<string> PrecisionFlags = ["--fp16", "--int8", "--best", "--bf16", "--stronglyTyped"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Builds_with_the_flags_the_release_accepts_and_reports_what_trtexec_printed(string version, string kind)
    {
        using var h = new BuildHarness(version, kind);
        var result = await h.BuildAsync();

        Assert.Equal(ExpectedPrecisionFlags(version, kind), result.Flags.Where(PrecisionFlags.Contains).ToArray());
        Assert.All(result.Flags, f => Assert.StartsWith("--", f));
        Assert.Contains("--minShapes=x:1x3x8x8", result.Flags);
        // The build tag is in the banner only from 10.4.
        Assert.Equal(version.StartsWith("8.") ? string.Join('.', version.Split('.')[..3]) : version, result.Version.WithBuild);

        var plan = await File.ReadAllBytesAsync(result.EnginePath);
        Assert.Equal(0x74727466u, BinaryPrimitives.ReadUInt32LittleEndian(plan));
        Assert.Equal(version.Split('.').Select(byte.Parse).ToArray(), plan[24..28]);
        // 8.x prints only the build time; from 10.x the engine size is printed too, and must be the plan's.
        if (version.StartsWith("8.")) Assert.Null(result.Log.EngineSizeMiB);
        else AssertClose(plan.Length / 1048576.0, result.Log.EngineSizeMiB!.Value);
        Assert.Equal(Onnx.IO.FileHash.Sha256(h.ModelPath), result.OnnxSha256);
        Assert.Equal("NVIDIA GeForce RTX 3070", result.Gpu?.Name);
        Assert.Equal("8.6", result.Gpu?.ComputeCapability);
        Assert.True(result.Log.BuildSeconds > 0);

        var summary = result.Log.Summary!;
        var (qps, latency, compute, queries) = TimesStats.FromFile(Path.Combine(h.Out, EngineBuilder.TimesFile), [90, 95, 99]);
        Assert.Equal(queries, summary.Queries);
        AssertClose(qps, summary.ThroughputQps);
        foreach (var (expected, actual) in new[] { (latency, summary.Latency), (compute, summary.GpuCompute) })
        {
            AssertClose(expected.Min, actual.Min);
            AssertClose(expected.Max, actual.Max);
            AssertClose(expected.Mean, actual.Mean);
            AssertClose(expected.Median, actual.Median);
            foreach (var p in new[] { 90.0, 95, 99 }) AssertClose(expected.Percentiles[p], actual.Percentile(p)!.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Counts_the_layers_by_precision(string version, string kind)
    {
        using var h = new BuildHarness(version, kind);
        var result = await h.BuildAsync();

        // Conv → Relu; the Q/DQ model adds a Quantize layer for x, and its DequantizeLinear nodes fuse into the Conv.
        var (int8, fp16, fp32) = kind switch { "fp32" => (0, 0, 2), "fp16" => (0, 2, 0), _ => (1, 0, 2) };
        var layers = result.Layers!;
        Assert.Equal((int8, fp16, fp32), (layers.Int8, layers.Fp16, layers.Fp32));
        Assert.Empty(layers.FellBack);
        Assert.Equal(kind == "qdq", Int8Gate.Check(result, h.Facts.IsQdq) is null);
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Abs(expected) + 1e-9, $"expected {expected}, got {actual}");
}
