using System.Globalization;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Commands;

/// <summary>The human-readable summary of a validate run on stdout.</summary>
public static class ValidateSummary
{
    public static void Print(ValidationReport report, TextWriter output)
    {
        static string F(double? v) => v is null ? "-" : MarkdownTable.Format(v.Value);
        output.WriteLine($"{Path.GetFileName(report.Candidate)} against {report.Baseline}: {report.Samples} samples ({report.Data}; {report.Runtime})"
                         + (report.FedBack is { Count: > 0 } fed ? $"; streamed, each model fed its own {string.Join(", ", fed)}" : ""));
        foreach (var o in report.Outputs)
            output.WriteLine($"  {o.Name}: max abs {F(o.MaxAbsError)}, mean abs {F(o.MeanAbsError)}, rel L2 {F(o.RelativeL2Error)}, cosine {F(o.CosineSimilarity)}{(o.CosineOverSamples ? " (one value per sample: over all samples' values together)" : "")}, SQNR {F(o.SqnrDb)} dB, top-1 {F(o.Top1Agreement)}, top-5 {F(o.Top5Agreement)}{(o.TopK is { } k ? $" (top-{k}: {k} classes)" : "")}"
                // only for token outputs (the samples give an attention mask): a recurrent state or a CTC output is [N, T, C] too
                + (o is { MinPooledCosine: { } pooled, PooledByTokenMask: true } ? $", worst pooled cosine {F(pooled)}" : "")
                + string.Concat(o.MaskAgreement.Select(m => $", mask agreement at {MarkdownTable.Format(m.Threshold)} {F(m.Agreement)}"))
                + string.Concat(o.CtcAgreement.Select(c => $", CTC agreement (blank {c.Blank}) {F(c.Agreement)} over {c.Rows} rows, token error rate {F(c.CtcTokenErrorRate)}")));
        if (report.Accuracy is { } a)
            output.WriteLine($"  accuracy ({a.LabelledSamples} labelled{(a.ExactText ? $" lines, read exactly from '{a.Output}'" : "")}): baseline {F(a.Baseline)}, candidate {F(a.Candidate)}, drop {F(a.Drop)}"
                             + (a.BaselineCharacterErrorRate is { } cerA && a.CandidateCharacterErrorRate is { } cerB ? $"; character error rate baseline {F(cerA)}, candidate {F(cerB)}" : ""));
        var l = report.Latency;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  latency ms: baseline p50 {l.BaselineP50Ms:0.000} p95 {l.BaselineP95Ms:0.000}; candidate p50 {l.CandidateP50Ms:0.000} p95 {l.CandidateP95Ms:0.000}; speed-up {l.Estimate?.Describe() ?? $"{l.Speedup:0.00}x"}"));
        if (l.Estimate is { } e && e.SurelyBelow(1.0))
            output.WriteLine($"  the candidate is slower than the baseline on this machine (the whole interval is below 1x); " +
                             $"'optimize bench {report.Candidate} --baseline {report.Baseline} --profile' shows which ops cost more");
        foreach (var g in report.Gates) output.WriteLine($"  {(g.Passed ? "PASS" : "FAIL")} {g.Message}");
        // Without a gate nothing was checked: "passed" would say so of two unrelated models.
        output.WriteLine(report.Gates.Count == 0
            ? "no gate given, so nothing was checked: --max-accuracy-drop METRIC=VALUE and --min-speedup X set the budget"
            : report.Passed ? "validation passed" : "validation FAILED");
    }
}
