using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A text recognizer validated on lines with their true text (dictionary.txt beside labels.txt): readings.csv shows
/// each line as both models read it, the texts are compared trimmed (a space read in the padding is no misreading),
/// and predictions.csv, which only a classifier-like output fills, is not written.
/// </summary>
public sealed class RecognizerReadingsTests
{
    // classes: 0 blank, 1 'a', 2 'b', 3 'c' (dictionary.txt), 4 the space PaddleOCR adds after the dictionary
    private const int Steps = 4, Classes = 5;

    private static string Recognizer(string path, float[]? bump = null) => CtcTestModels.Recognizer(path, Steps, Classes, bump);

    /// <summary>line_0000 reads "ab" (a _ b _), line_0001 "ca" (c _ a _); peak 2 at each step's class, 0 elsewhere.</summary>
    private static string Lines(string folder)
    {
        Directory.CreateDirectory(folder);
        int[][] lines = [[1, 0, 2, 0], [3, 0, 1, 0]];
        for (var i = 0; i < lines.Length; i++) CtcTestModels.Line(folder, i, Classes, lines[i], _ => 2);
        File.WriteAllText(Path.Combine(folder, "dictionary.txt"), "a\nb\nc\n");
        File.WriteAllLines(Path.Combine(folder, "labels.txt"), ["line_0000.npy\tab", "line_0001.npy\tca"]);
        return folder;
    }

    [Fact]
    public void Readings_show_each_line_as_both_models_read_it_and_a_trailing_space_is_no_misreading()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Lines(dir.File("data"));
        var baseline = Recognizer(dir.File("baseline.onnx"));
        // +5 on 'c' at step 1 and on the space at step 3: line_0000 reads "acb ", line_0001 "ca " (c c a _ merges to "ca ")
        var bump = new float[Steps * Classes];
        bump[1 * Classes + 3] = 5;
        bump[3 * Classes + 4] = 5;
        var candidate = Recognizer(dir.File("candidate.onnx"), bump);
        // an earlier run's predictions.csv in the report folder must not survive a run that writes none
        Directory.CreateDirectory(dir.File("r"));
        File.WriteAllText(dir.File("r/predictions.csv"), "sample,output,top5\nold,y,1 2\n");

        var result = CliRunner.Run("validate", "--baseline", baseline, "--candidate", candidate, "--data", data, "--report", dir.File("r"),
            "--max-accuracy-drop", "accuracy=0.5");

        Assert.True(result.ExitCode == 0, result.Stderr);
        // "ca " against "ca" is read right (trimmed), "acb " against "ab" is not: 1 of 2 lines, 1 edit over 4 characters
        Assert.Contains("baseline 1, candidate 0.5, drop 0.5; character error rate baseline 0, candidate 0.25", result.Stdout);
        Assert.Contains("wrote report.json, report.md, readings.csv to", result.Stderr);
        Assert.False(File.Exists(dir.File("r/predictions.csv")));
        var rows = File.ReadAllLines(dir.File("r/readings.csv"));
        Assert.Equal("sample,truth,baseline,candidate,baseline_exact,candidate_exact", rows[0]);
        Assert.Equal(3, rows.Length);
        Assert.EndsWith(",\"ab\",\"ab\",\"acb \",1,0", rows[1]);
        Assert.EndsWith(",\"ca\",\"ca\",\"ca \",1,1", rows[2]);
        Assert.Contains("line_0000", rows[1]);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("r/report.json")));
        Assert.Equal(0.5, report.RootElement.GetProperty("accuracy").GetProperty("candidate").GetDouble());
        // report.md gives the character error rates too, not only the console
        var markdown = File.ReadAllText(dir.File("r/report.md"));
        Assert.Contains("| character error rate: baseline | candidate |", markdown);
        Assert.Contains("| 2 | 1 | 0.5 | 0.5 | 0 | 0.25 |", markdown);
    }

    [Fact]
    public void A_model_with_no_classifier_like_output_and_no_text_writes_neither_file()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Lines(dir.File("data"));
        File.Delete(Path.Combine(data, "dictionary.txt"));
        File.Delete(Path.Combine(data, "labels.txt"));
        var model = Recognizer(dir.File("m.onnx"));

        var result = CliRunner.Run("validate", "--baseline", model, "--candidate", model, "--data", data, "--report", dir.File("r"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("wrote report.json, report.md to", result.Stderr);
        Assert.False(File.Exists(dir.File("r/predictions.csv")));
        Assert.False(File.Exists(dir.File("r/readings.csv")));
    }
}
