using System.Text;
using Optimizer.Cli.Output;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Runtime.Reports;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Commands;

/// <summary>
/// Runs a validation and writes its folder (report.json, report.md, predictions.csv for classifier-like outputs,
/// readings.csv for a recognizer with text labels, and the JUnit file when asked),
/// prints the summary and the failed gates; shared by <c>optimize validate</c> and the root command's
/// <c>--validate DIR</c> step. Returns the exit code: 0, or 1 when a gate failed.
/// </summary>
public static class ValidationRun
{
    public static int Run(ValidateOptions options, string folder, string? junit, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        ValidationReport result = null!;
        var created = OutputLocation.Track(folder);
        var (predictionsPath, readingsPath) = (Path.Combine(folder, PredictionsFile.FileName), Path.Combine(folder, ReadingsFile.FileName));
        try
        {
            AtomicFile.Write(predictionsPath, predictionsStream => AtomicFile.Write(readingsPath, readingsStream =>
            {
                using var predictions = new StreamWriter(predictionsStream, new UTF8Encoding(false), leaveOpen: true);
                using var readings = new StreamWriter(readingsStream, new UTF8Encoding(false), leaveOpen: true);
                result = BenchProgressDisplay.Run<(int Done, int Total), ValidationReport>(stderr, p => ("validating samples", p.Done, p.Total),
                    progress => Validator.Run(options, predictions, progress, cancel, readings));
            }));
        }
        catch
        {
            created.RemoveIfEmpty(); // predictions.csv never appeared: a refused run leaves no empty report folder
            throw;
        }
        // written only with rows: a detector has no top-5 classes, only a recognizer with text labels has readings
        var rowFiles = new List<string>();
        foreach (var path in new[] { predictionsPath, readingsPath })
            if (new FileInfo(path).Length > 0) rowFiles.Add(Path.GetFileName(path));
            else File.Delete(path);
        var files = ValidationReportWriter.Write(result, folder);
        if (junit is not null) JUnitWriter.Write(result, junit);
        stderr.WriteLine($"wrote {string.Join(", ", files.Concat(rowFiles))} to {folder}");
        if (json) stdout.Write(ReportJson.Serialize(result));
        else ValidateSummary.Print(result, stdout);
        foreach (var failed in result.Gates.Where(g => !g.Passed)) stderr.WriteLine(failed.Message);
        return result.Passed ? ExitCodes.Success : ExitCodes.GateFailed;
    }
}
