using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Cli.Zoo;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// Issue 13's demonstration: a zoo over the shared models (INT8 for TensorRT calibrated on real data, validated, and an
/// engine built by the trtexec double; FP16 for the models without calibration data) run in 4 shards merges into the
/// report of the unsharded run, and two jobs at once write the same artifacts as one at a time. Minutes: Large.
/// </summary>
public class SharedModelZooTests
{
    private static string Zoo(string trtexec)
    {
        var s = TestPaths.SharedModels;
        return $$"""
            defaults:
              output: out/{model}
              quantize: int8
              engine: {trtexec: {{trtexec}}, duration: 0.05}
            jobs:
              - name: mobilenet_v2
                model: {{s}}/mobilenet_v2.onnx
                calibrate: {{s}}/images
                target: tensorrt
                validate: {data: {{s}}/images}
              - name: mobilenet_v2_bn
                model: {{s}}/mobilenet_v2_bn.onnx
                calibrate: {{s}}/images
                target: tensorrt
                validate: {data: {{s}}/images}
              - name: squeezenet1_1
                model: {{s}}/squeezenet1_1.onnx
                calibrate: {{s}}/images
                target: tensorrt
                validate: {data: {{s}}/images}
              - name: bert_mini
                model: {{s}}/bert_mini.onnx
                calibrate: {{s}}/bert_calib
                target: tensorrt
                validate: {data: {{s}}/bert_calib}
              - name: arctic_embed_xs
                model: {{s}}/arctic_embed_xs.onnx
                calibrate: {{s}}/text_calib
                target: tensorrt
                validate: {data: {{s}}/text_calib}
              - name: ppocr_cls
                model: {{s}}/ch_ppocr_mobile_v2.0_cls_infer.onnx
                shapes: {x: 1x3x48x192}
                quantize: fp16
              - name: ppocr_det
                model: {{s}}/ch_PP-OCRv4_det_infer.onnx
                shapes: {x: 1x3x320x320}
                quantize: fp16
              - name: silero_vad_legacy
                model: {{s}}/silero_vad_legacy.onnx
                quantize: fp16
                engine: false
            """;
    }

    [Fact]
    [Trait("Category", "Large")]
    public void FourShardsOfTheSharedModelZooMergeIntoTheUnshardedRunAndTwoJobsAtOnceWriteTheSameArtifacts()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("zoo.yaml"), Zoo(FakeTrtexec.Wrapper(dir.File("bin"), "10.9.0.34")));
        int Run(params string[] args)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var code = CommandLineApp.Run(args, stdout, stderr);
            Assert.True(code == 0, stderr.ToString());
            return code;
        }

        Run("run", dir.File("zoo.yaml"), "--report", dir.File("whole"));
        var whole = Artifacts(dir.File("out"));
        Directory.Delete(dir.File("out"), recursive: true);
        for (var i = 0; i < 4; i++) Run("run", dir.File("zoo.yaml"), "--shard", $"{i}/4", "--report", dir.File($"shard-{i}"));
        Run("merge-reports", dir.File("shard-0"), dir.File("shard-1"), dir.File("shard-2"), dir.File("shard-3"), "-o", dir.File("merged"));

        Assert.Equal(ZooReport.Untimed(dir.File("whole")), ZooReport.Untimed(dir.File("merged")));
        Assert.Equal(whole, Artifacts(dir.File("out")));
        var jobs = JsonNode.Parse(File.ReadAllText(dir.File("merged/zoo-report.json")))!["jobs"]!.AsArray();
        Assert.Equal(8, jobs.Count);
        Assert.Equal(7, jobs.Count(j => j!["engineBytes"] is not null));
        Assert.Equal(5, jobs.Count(j => j!["cosine"] is not null));

        Directory.Delete(dir.File("out"), recursive: true);
        Run("run", dir.File("zoo.yaml"), "--jobs", "2", "--report", dir.File("parallel"));
        Assert.Equal(ZooReport.Untimed(dir.File("whole")), ZooReport.Untimed(dir.File("parallel")));
        Assert.Equal(whole, Artifacts(dir.File("out")));
    }

    /// <summary>The sha256 of each job's model, external data, calibration table and cache, and engine.</summary>
    private static SortedDictionary<string, string> Artifacts(string outDir)
    {
        string[] names = ["model.onnx", "model.onnx.data", "calibration.json", "calibration.cache", "model.plan"];
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Where(f => names.Contains(Path.GetFileName(f)) && !f.Contains("/.")))
            all[Path.GetRelativePath(outDir, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        Assert.NotEmpty(all);
        return all;
    }

}
