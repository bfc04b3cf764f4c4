using System.Text.Json.Nodes;
using System.Xml.Linq;
using Optimizer.Cli.Zoo;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>
/// A zoo run's report: one row per job with the figures the job wrote itself, the zoo's identity and the shard; a
/// failing job does not stop a zoo unless --fail-fast, and the exit code is the highest of the jobs'.
/// </summary>
public class ZooReportTests
{
    /// <summary>Two INT8 jobs and, between them, an FP32 one whose latency gate cannot hold (exit 1).</summary>
    private static TempDir ZooWithAFailingGate() => ZooFixture.Create($$"""
        defaults:
          output: out/{model}
        jobs:
          - name: a
            model: m/a.onnx
            quantize: int8
            calibrate: {{ZooFixture.Data}}/calib
          - name: gated
            model: m/b.onnx
            validate: {data: {{ZooFixture.Data}}/validate, min-speedup: 1000}
          - name: c
            model: m/c.onnx
            passes: none
        """, "a", "b", "c");

    [Fact]
    public void JobsThatWouldWriteOneOutputFolderAreRefusedBeforeAnyRuns()
    {
        // Without {model} in the shared output, both jobs would write out/: the second one's files would replace the first's.
        using var dir = ZooFixture.Create("""
            defaults:
              output: out
            jobs:
              - name: a
                model: m/a.onnx
              - name: b
                model: m/b.onnx
            """, "a", "b");

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: jobs a and b would both write '{dir.File("out")}'; give each its own output (for a zoo, 'output: out/{{model}}' under defaults:)",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void AZooRunsPastAFailingJobAndReportsEveryJobWithItsFigures()
    {
        using var dir = ZooWithAFailingGate();

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("job c: optimize", result.Stderr);
        // By default the report goes beside the jobs' output folders.
        var report = JsonNode.Parse(File.ReadAllText(dir.File("out/zoo-report.json")))!;
        Assert.Equal(ZooIdentity.Hash(["a", "c", "gated"]), (string?)report["zoo"]!["id"]);
        Assert.Equal("0/1", $"{report["shard"]!["index"]}/{report["shard"]!["count"]}");
        Assert.Equal(1, (int)report["exitCode"]!);
        var jobs = report["jobs"]!.AsArray().Select(j => j!.AsObject()).ToList();
        Assert.Equal(["a", "gated", "c"], jobs.Select(j => (string)j["name"]!));
        Assert.Equal(["passed", "gate-failed", "passed"], jobs.Select(j => (string)j["status"]!));
        Assert.Equal("out/a", (string?)jobs[0]["output"]);
        Assert.Equal("m/a.onnx", (string?)jobs[0]["model"]);
        // The figures are the job's own: its model file's size, its report's quantized nodes and validation.
        Assert.Equal(new FileInfo(dir.File("out/a/model.onnx")).Length, (long)jobs[0]["modelBytes"]!);
        var own = JsonNode.Parse(File.ReadAllText(dir.File("out/a/report.json")))!;
        Assert.Equal((int)own["quantization"]!["quantizedNodes"]!, (int)jobs[0]["quantizedNodes"]!);
        Assert.True((int)jobs[0]["quantizedNodes"]! > 0);
        var gated = JsonNode.Parse(File.ReadAllText(dir.File("out/b/report.json")))!;
        Assert.Equal((double)gated["validation"]!["outputs"]![0]!["cosineSimilarity"]!, (double)jobs[1]["cosine"]!);
        Assert.False((bool)jobs[1]["gatesPassed"]!);
        Assert.True((double)jobs[1]["speedup"]! < 1000);
        Assert.Null(jobs[2]["quantizedNodes"]);
        Assert.Contains("gated", File.ReadAllText(dir.File("out/zoo-report.md")));

        var junit = XDocument.Load(dir.File("out/zoo-junit.xml")).Root!;
        Assert.Equal("3", junit.Attribute("tests")!.Value);
        Assert.Equal("1", junit.Attribute("failures")!.Value);
        var failed = Assert.Single(junit.Descendants("testcase"), c => c.Element("failure") is not null);
        Assert.Equal("gated", failed.Attribute("name")!.Value);
    }

    [Fact]
    public void AJobValidatedWithoutAGateIsCountedAsNotCheckedNotAsPassed()
    {
        using var dir = ZooFixture.Create($$"""
            defaults:
              output: out/{model}
            jobs:
              - name: unchecked
                model: m/a.onnx
                validate: {data: {{ZooFixture.Data}}/validate}
              - name: plain
                model: m/b.onnx
                passes: none
            """, "a", "b");

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 of 2 jobs passed, 1 not checked (validated without a gate), 0 failed, 0 not run", result.Stderr);
        var report = JsonNode.Parse(File.ReadAllText(dir.File("out/zoo-report.json")))!;
        Assert.Equal(["not-checked", "passed"], report["jobs"]!.AsArray().Select(j => (string)j!["status"]!));
        Assert.Null(report["jobs"]![0]!["gatesPassed"]);
        Assert.Equal(1, (int)report["summary"]!["passed"]!);
        Assert.Equal(1, (int)report["summary"]!["notChecked"]!);
        var markdown = File.ReadAllText(dir.File("out/zoo-report.md"));
        Assert.Contains("2 jobs, 1 passed, 1 not checked (validated without a gate), 0 failed", markdown);
        Assert.Contains("| not-checked | 0 |", markdown);
        Assert.Contains("| none given |", markdown);
        var junit = XDocument.Load(dir.File("out/zoo-junit.xml")).Root!;
        Assert.Equal("1", junit.Attribute("skipped")!.Value);
        Assert.Equal("unchecked", Assert.Single(junit.Descendants("testcase"), c => c.Element("skipped") is not null).Attribute("name")!.Value);
    }

    [Fact]
    public void WithFailFastTheJobsAfterAFailureAreReportedAsNotRun()
    {
        using var dir = ZooWithAFailingGate();

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--fail-fast", "--report", dir.File("report"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("job gated: exit code 1; not running c", result.Stderr);
        Assert.False(Directory.Exists(dir.File("out/c")));
        var jobs = JsonNode.Parse(File.ReadAllText(dir.File("report/zoo-report.json")))!["jobs"]!.AsArray();
        Assert.Equal(["passed", "gate-failed", "not-run"], jobs.Select(j => (string)j!["status"]!));
        Assert.Null(jobs[2]!["exitCode"]);
        var junit = XDocument.Load(dir.File("report/zoo-junit.xml")).Root!;
        Assert.Equal("1", junit.Attribute("skipped")!.Value);
    }

    [Fact]
    public void TheExitCodeIsTheHighestOfTheJobsAndABadJobsErrorLineIsInTheReport()
    {
        using var dir = ZooFixture.Create("""
            defaults:
              output: out/{model}
            jobs:
              - model: m/*.onnx
              - name: bad
                model: m/a.onnx
                output: out/bad
                passes: [no-such-pass]
            """, "a", "b");

        var result = CliRunner.Run("run", dir.File("zoo.yaml"));

        Assert.Equal(2, result.ExitCode);
        var jobs = JsonNode.Parse(File.ReadAllText(dir.File("out/zoo-report.json")))!["jobs"]!.AsArray();
        Assert.Equal(["passed", "passed", "bad-input"], jobs.Select(j => (string)j!["status"]!));
        Assert.Contains("unknown pass 'no-such-pass'", (string?)jobs[2]!["message"]);
        Assert.Null(jobs[2]!["modelBytes"]);
        Assert.True(File.Exists(dir.File("out/b/model.onnx")));
    }

    [Fact]
    public void AOneJobFileWritesNoReportUnlessAsked()
    {
        using var dir = ZooFixture.Create("model: m/a.onnx\noutput: out/a\npasses: none\n", "a");

        Assert.Equal(0, CliRunner.Run("run", dir.File("zoo.yaml")).ExitCode);
        Assert.False(File.Exists(dir.File("out/zoo-report.json")));
        Assert.Equal(0, CliRunner.Run("run", dir.File("zoo.yaml"), "--report", dir.File("r")).ExitCode);
        Assert.Equal("passed", (string?)JsonNode.Parse(File.ReadAllText(dir.File("r/zoo-report.json")))!["jobs"]![0]!["status"]);
    }

    [Fact]
    public void DryRunWithAShardListsThatSliceOnly()
    {
        using var dir = ZooFixture.Create("defaults:\n  output: out/{model}\njobs:\n  - model: m/*.onnx\n", "a", "b", "c", "d", "e", "f");
        var names = new[] { "a", "b", "c", "d", "e", "f" };

        var listed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--dry-run", "--shard", $"{i}/3");
            Assert.True(result.ExitCode == 0, result.Stderr);
            var jobs = result.Stdout.Split('\n').Where(l => l.StartsWith("# job ")).Select(l => l["# job ".Length..]).ToList();
            Assert.Equal(names.Where(n => Shard.Of(n, 3) == i), jobs);
            Assert.StartsWith($"# shard {i}/3 (0-based): {jobs.Count} of 6 jobs\n", result.Stdout);
            listed.AddRange(jobs);
        }
        Assert.Equal(names, listed.Order());
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
