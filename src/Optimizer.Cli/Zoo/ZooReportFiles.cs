using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Optimizer.Onnx.IO;

namespace Optimizer.Cli.Zoo;

/// <summary>Writes a <see cref="ZooReport"/> as DIR/zoo-report.json, zoo-report.md and zoo-junit.xml, each file whole or not at all.</summary>
public static class ZooReportFiles
{
    public static void Write(ZooReport report, string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, ZooReport.JsonFile), Output.Json.Serialize(report) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, ZooReport.MarkdownFile), Markdown(report));
        AtomicFile.WriteAllText(Path.Combine(dir, ZooReport.JUnitFile), JUnit(report));
    }

    private static string Scope(ZooReport report) =>
        report.Shard is { } shard ? (shard.Count == 1 ? "the whole zoo" : $"shard {shard} (0-based)") : $"{report.MergedShards} shards merged";

    public static string Markdown(ZooReport report)
    {
        var text = new StringBuilder();
        text.Append($"# Zoo report\n\nZoo `{report.Zoo.Id[..12]}` ({report.Zoo.Jobs.Count} jobs), {Scope(report)}: ")
            .Append($"{report.Summary.Jobs} jobs, {report.Summary.Passed} passed, {(report.Summary.NotChecked > 0 ? $"{report.Summary.NotChecked} not checked (validated without a gate), " : "")}{report.Summary.Failed} failed, {report.Summary.NotRun} not run; exit code {report.ExitCode}.\n\n")
            .Append("| job | model | status | exit | output | model size | engine size | cosine (worst output) | top-1 | gates | quantized nodes | speed-up | seconds |\n")
            .Append("|---|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
        foreach (var j in report.Jobs)
            text.Append($"| {Cell(j.Name)} | {Cell(j.Model)} | {j.Status} | {j.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"} | {Cell(j.Output)} | {Size(j.ModelBytes)} | {Size(j.EngineBytes)} ")
                .Append($"| {Number(j.Cosine, "0.000000")} | {Number(j.Top1, "0.000")} | {(j.Status == ZooJobResult.NotChecked ? "none given" : j.GatesPassed is { } g ? (g ? "passed" : "failed") : "-")} | {j.QuantizedNodes?.ToString(CultureInfo.InvariantCulture) ?? "-"} ")
                .Append($"| {(j.Speedup is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-")} | {Number(j.Seconds, "0.0")} |\n");
        var failed = report.Jobs.Where(j => j.Message is not null).ToList();
        if (failed.Count > 0)
        {
            text.Append("\n## Failures\n\n");
            foreach (var j in failed) text.Append($"- `{j.Name}` ({j.Status}, exit {j.ExitCode}): {j.Message}\n");
        }
        text.Append("\nPaths are relative to the pipeline file's folder; seconds and speed-up are timings (they differ run to run).\n");
        return text.ToString();
    }

    /// <summary>One test case per job: a gate failure is a failure, any other non-zero exit an error, a job not run skipped.</summary>
    public static string JUnit(ZooReport report)
    {
        var cases = report.Jobs.Select(j =>
        {
            var testCase = new XElement("testcase", new XAttribute("classname", "optimize.zoo"), new XAttribute("name", j.Name),
                new XAttribute("time", (j.Seconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture)));
            var message = j.Message ?? $"exit code {j.ExitCode}";
            if (j.ExitCode is null) testCase.Add(new XElement("skipped", new XAttribute("message", "not run (an earlier job failed with --fail-fast, or the run was cancelled)")));
            else if (j.Status == ZooJobResult.NotChecked) testCase.Add(new XElement("skipped", new XAttribute("message", "no gate given: the validation checked nothing")));
            else if (j.ExitCode == 1) testCase.Add(new XElement("failure", new XAttribute("message", message), new XAttribute("type", j.Status), message));
            else if (j.ExitCode != 0) testCase.Add(new XElement("error", new XAttribute("message", message), new XAttribute("type", j.Status), message));
            testCase.Add(new XElement("system-out", $"model {j.Model}; output {j.Output}; model size {Size(j.ModelBytes)}; cosine {Number(j.Cosine, "0.000000")}; quantized nodes {j.QuantizedNodes?.ToString(CultureInfo.InvariantCulture) ?? "-"}"));
            return testCase;
        }).ToList();
        int failures = report.Jobs.Count(j => j.ExitCode == 1), errors = report.Jobs.Count(j => j.ExitCode is > 1), skipped = report.Summary.NotRun + report.Summary.NotChecked;
        var suite = new XElement("testsuite", new XAttribute("name", $"zoo {report.Zoo.Id[..12]} {Scope(report)}"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures), new XAttribute("errors", errors), new XAttribute("skipped", skipped), cases);
        var root = new XElement("testsuites", new XAttribute("name", "optimize zoo"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures), new XAttribute("errors", errors), new XAttribute("skipped", skipped), suite);
        return new XDeclaration("1.0", "utf-8", null) + "\n" + root + "\n";
    }

    private static string Cell(string text) => text.Replace("|", "\\|");

    private static string Number(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";

    private static string Size(long? bytes) => bytes switch
    {
        null => "-",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => ((double)bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => ((double)bytes / (1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}
