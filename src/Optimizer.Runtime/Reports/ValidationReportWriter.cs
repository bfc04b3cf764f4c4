using System.Text;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Reports;

/// <summary>Writes a <see cref="ValidationReport"/> as report.json and report.md into a folder.</summary>
public static class ValidationReportWriter
{
    public static IReadOnlyList<string> Write(ValidationReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), ReportJson.Serialize(report));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(report));
        return ["report.json", "report.md"];
    }

    public static string Markdown(ValidationReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Validation: {Path.GetFileName(report.Candidate)} {(report.Checked ? report.Status : "(no gate given: nothing checked)")}").AppendLine();
        text.AppendLine($"- baseline: `{report.Baseline}`");
        text.AppendLine($"- candidate: `{report.Candidate}`");
        text.AppendLine($"- data: {report.Data} ({report.Samples} run); date: {report.Date:u}");
        text.AppendLine($"- runtime: {report.Runtime}");
        if (report.FedBack is { Count: > 0 } fed)
            text.AppendLine($"- streamed: the samples in order, each model fed its own {string.Join(", ", fed.Select(f => $"`{f.Split('=')[0]}` back as `{f.Split('=')[1]}`"))} from the sample before");
        foreach (var line in report.SessionOptions?.Lines() ?? []) text.AppendLine($"- options in effect (accuracy runs), {line}");
        foreach (var line in report.LatencySessionOptions?.Lines() ?? []) text.AppendLine($"- options in effect (latency runs), {line}");
        text.AppendLine();
        text.AppendLine("## Outputs").AppendLine();
        var outputs = new MarkdownTable("output", "max abs error", "mean abs error", "relative L2", "cosine (mean)", "cosine (min)", "SQNR (dB)", "top-1 agreement", "top-5 agreement");
        foreach (var o in report.Outputs)
            outputs.Row(o.Name, o.MaxAbsError, o.MeanAbsError, o.RelativeL2Error, o.CosineSimilarity, o.MinCosineSimilarity, o.SqnrDb, o.Top1Agreement, o.Top5Agreement);
        outputs.AppendTo(text);
        foreach (var o in report.Outputs.Where(o => o.CosineOverSamples))
            text.AppendLine($"Output '{o.Name}' has one value per sample, whose cosine would be only its sign: its cosine (mean and min) is taken over all samples' values together.").AppendLine();
        foreach (var o in report.Outputs.Where(o => o.TopK is not null))
            text.AppendLine($"Output '{o.Name}' has {o.TopK} classes: its top-5 agreement is the overlap of the top {o.TopK}.").AppendLine();
        if (report.Outputs.Any(o => o.CtcAgreement.Count > 0))
        {
            text.AppendLine("## CTC decoding (greedy; token error rate: edit distance over the baseline's length)").AppendLine();
            var ctc = new MarkdownTable("output", "blank class", "rows", "same sequence", "token error rate");
            foreach (var o in report.Outputs)
                foreach (var c in o.CtcAgreement) ctc.Row(o.Name, c.Blank, c.Rows, c.Agreement, c.CtcTokenErrorRate);
            ctc.AppendTo(text);
        }
        if (report.Accuracy is { } a)
        {
            text.AppendLine("## Accuracy (labels)").AppendLine();
            if (a.BaselineCharacterErrorRate is { } cerA && a.CandidateCharacterErrorRate is { } cerB)
                new MarkdownTable("output", "labelled lines", "read exactly: baseline", "candidate", "drop", "character error rate: baseline", "candidate")
                    .Row(a.Output, a.LabelledSamples, a.Baseline, a.Candidate, a.Drop, cerA, cerB).AppendTo(text);
            else
                new MarkdownTable("output", "labelled samples", "baseline", "candidate", "drop").Row(a.Output, a.LabelledSamples, a.Baseline, a.Candidate, a.Drop).AppendTo(text);
        }
        text.AppendLine("## Latency per sample (ms)").AppendLine();
        var l = report.Latency;
        new MarkdownTable("model", "p50", "p95").Row("baseline", l.BaselineP50Ms, l.BaselineP95Ms).Row("candidate", l.CandidateP50Ms, l.CandidateP95Ms).AppendTo(text);
        text.AppendLine(l.Estimate is { } e
            ? $"Speed-up (baseline p50 / candidate p50), both timed side by side in one run: {e.Describe()}. A --min-speedup gate fails only when the whole interval lies below it."
            : $"Speed-up (baseline p50 / candidate p50): {MarkdownTable.Format(l.Speedup)}x").AppendLine();
        if (!report.Checked)
            text.AppendLine("No gate given, so nothing was checked: the figures above are measured, not judged (--max-accuracy-drop METRIC=VALUE and --min-speedup X set the budget).").AppendLine();
        else
        {
            text.AppendLine("## Gates").AppendLine();
            var gates = new MarkdownTable("gate", "actual", "output", "result");
            foreach (var g in report.Gates) gates.Row(g.Condition, g.Actual, g.Output, g.Passed ? "pass" : "**FAIL**: " + g.Message);
            gates.AppendTo(text);
        }
        return text.ToString();
    }
}
