using System.Xml.Linq;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Reports;

/// <summary>
/// A JUnit XML file with one test case per gate (a failed gate is a failed test, with its message), so CI systems
/// show the accuracy and speed budgets as tests. With no gates, one skipped case says the models ran and nothing was checked.
/// </summary>
public static class JUnitWriter
{
    public static void Write(ValidationReport report, string path) => AtomicFile.WriteAllText(path, Render(report));

    public static string Render(ValidationReport report)
    {
        var suiteName = $"optimize validate {Path.GetFileName(report.Candidate)}";
        var cases = report.Gates.Count == 0
            ? [new XElement("testcase", new XAttribute("classname", "optimize.validate"), new XAttribute("name", "models run on the data"),
                new XElement("skipped", new XAttribute("message", "no gate given: nothing checked")),
                new XElement("system-out", $"{report.Samples} samples; see report.md"))]
            : report.Gates.Select(g => new XElement("testcase",
                new XAttribute("classname", "optimize.validate"),
                new XAttribute("name", g.Condition),
                g.Passed ? new XElement("system-out", g.Message) : new XElement("failure", new XAttribute("message", g.Message), new XAttribute("type", "GateFailed"), g.Message))).ToList();
        var failures = report.Gates.Count(g => !g.Passed);
        var suite = new XElement("testsuite",
            new XAttribute("name", suiteName), new XAttribute("tests", cases.Count), new XAttribute("failures", failures),
            new XAttribute("errors", 0), new XAttribute("skipped", report.Checked ? 0 : 1), new XAttribute("timestamp", report.Date.ToString("yyyy-MM-ddTHH:mm:ss")), cases);
        var root = new XElement("testsuites", new XAttribute("name", "optimize validate"), new XAttribute("tests", cases.Count), new XAttribute("failures", failures), suite);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }
}
