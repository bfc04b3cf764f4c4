using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>--max-accuracy-drop ctc-agreement=V</c> end to end on a small recognizer-shaped model (scores [1, T, C], blank 0):
/// a candidate that reads one line differently fails, one that only sharpens the scores passes, and a model without an
/// [N, T, C] output is refused.
/// </summary>
public sealed class CtcAgreementCommandTests
{
    private const int Steps = 8, Classes = 5;

    private static string Recognizer(string path, float[]? bump = null, float scale = 1) => CtcTestModels.Recognizer(path, Steps, Classes, bump, scale);

    /// <summary>
    /// Two lines reading "a b c d" (classes 1 1 _ 2 3 _ _ 4 per step, peak 2, others 0); at step 2 the blank wins by
    /// 0.5 in the first line and by 3 in the second.
    /// </summary>
    private static string Lines(string folder)
    {
        Directory.CreateDirectory(folder);
        int[] classes = [1, 1, 0, 2, 3, 0, 0, 4];
        foreach (var (margin, i) in new[] { 0.5f, 3f }.Select((m, i) => (m, i)))
            CtcTestModels.Line(folder, i, Classes, classes, t => t == 2 ? margin : 2);
        return folder;
    }

    [Fact]
    public void A_candidate_that_reads_a_line_differently_fails_and_one_that_reads_the_same_passes()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Lines(dir.File("data"));
        var baseline = Recognizer(dir.File("baseline.onnx"));
        // +1 on class 4 at step 2: the first line's blank there (0.5) loses to it and the line reads "a d b c d".
        var bump = new float[Steps * Classes];
        bump[2 * Classes + 4] = 1;
        var misread = Recognizer(dir.File("misread.onnx"), bump);
        var sharper = Recognizer(dir.File("sharper.onnx"), scale: 1.5f);

        var failed = CliRunner.Run("validate", "--baseline", baseline, "--candidate", misread, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=0.98", "--report", dir.File("misread"));
        Assert.True(failed.ExitCode == 1, failed.Stderr);
        Assert.Contains("FAIL gate ctc-agreement >= 0.98 failed: 0.5 on output 'scores'", failed.Stdout);
        Assert.Contains("CTC agreement (blank 0) 0.5 over 2 rows, token error rate 0.125", failed.Stdout);
        using (var report = JsonDocument.Parse(File.ReadAllText(dir.File("misread/report.json"))))
        {
            var ctc = report.RootElement.GetProperty("outputs")[0].GetProperty("ctcAgreement")[0];
            Assert.Equal((0, 2, 0.5, 1.0 / 8), (ctc.GetProperty("blank").GetInt32(), ctc.GetProperty("rows").GetInt32(),
                ctc.GetProperty("agreement").GetDouble(), ctc.GetProperty("ctcTokenErrorRate").GetDouble()));
        }
        Assert.Contains("| scores | 0 | 2 | 0.5 | 0.125 |", File.ReadAllText(dir.File("misread/report.md")));

        var passed = CliRunner.Run("validate", "--baseline", baseline, "--candidate", sharper, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=1,cosine=0.9999", "--report", dir.File("sharper"));
        Assert.True(passed.ExitCode == 1, passed.Stderr); // the scores moved (cosine fails), the reading did not
        Assert.Contains("PASS gate ctc-agreement >= 1 passed: 1 on output 'scores'", passed.Stdout);
        Assert.Contains("FAIL gate cosine >= 0.9999", passed.Stdout);
        Assert.Equal(0, CliRunner.Run("validate", "--baseline", baseline, "--candidate", sharper, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=1", "--report", dir.File("sharper2")).ExitCode);

        // A stored report keeps no decoded sequences: the gate cannot be checked against one.
        var against = CliRunner.Run("validate", "--against", dir.File("sharper/report.json"), "--candidate", sharper, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=1", "--report", dir.File("against"));
        Assert.Equal(2, against.ExitCode);
        Assert.Contains("cannot be checked against a stored report", against.Stderr);
    }

    [Fact]
    public void A_model_without_an_N_T_C_output_is_refused_in_one_line()
    {
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, Steps * Classes);
        b.Output(b.Op("Softmax", [x], ("axis", 1)));
        var model = dir.File("classifier.onnx");
        ModelWriter.Write(b.Build(), model);
        var data = Directory.CreateDirectory(dir.File("data")).FullName;
        NpyFormat.Write(Path.Combine(data, "x.npy"), HostTensor.FromArray(new float[Steps * Classes], [1, Steps * Classes]));

        var result = CliRunner.Run("validate", "--baseline", model, "--candidate", model, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=0.98", "--report", dir.File("r"));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: gate ctc-agreement: no output has this metric (it needs an [N, T, C] output", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.File("r")));
    }

    [Fact]
    public void A_time_major_output_declared_with_the_wrong_rank_is_read_as_run()
    {
        // as ddddocr's CRNN: the scores come out [T, 1, C] and the file declares the output [1, T*C]; ONNX Runtime runs it
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, Steps, 1, Classes);
        var scores = b.Op("Softmax", [x], ("axis", 2));
        scores.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(1, Steps * Classes));
        b.Output(scores);
        var model = dir.File("crnn.onnx");
        ModelWriter.Write(b.Build(), model);
        var data = Directory.CreateDirectory(dir.File("data")).FullName;
        var line = new float[Steps * Classes];
        int[] classes = [1, 1, 0, 2, 3, 0, 0, 4];
        for (var t = 0; t < Steps; t++) line[t * Classes + classes[t]] = 2;
        NpyFormat.Write(Path.Combine(data, "x.npy"), HostTensor.FromArray(line, [Steps, 1, Classes]));

        var result = CliRunner.Run("validate", "--baseline", model, "--candidate", model, "--data", data,
            "--max-accuracy-drop", "ctc-agreement=0.98", "--report", dir.File("r"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        // one line of eight steps, read the same: not eight one-step rows
        Assert.Contains("CTC agreement (blank 0) 1 over 1 rows", result.Stdout);
    }

    [Fact]
    public void A_blank_class_that_is_not_an_index_is_refused_in_one_line()
    {
        using var dir = TestPaths.NewTempDir();
        var model = Recognizer(dir.File("model.onnx"));
        var result = CliRunner.Run("validate", "--baseline", model, "--candidate", model, "--data", Lines(dir.File("data")),
            "--max-accuracy-drop", "ctc-agreement@last=0.98", "--report", dir.File("r"));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --max-accuracy-drop 'ctc-agreement@last=0.98': 'last' after '@' is not a blank class index (an integer, -1 for the last class: ctc-agreement@-1=0.98)", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("r")));
    }

    /// <summary>
    /// Four lines; in two of them step 2 has class 4 beating class 3 by 0.002 only (reading "a d b c d"): INT8 with a
    /// step of 0.01 (the data's range 0-2.55 over 255 levels) puts both on the same level, the arg-max tie goes to
    /// class 3, and those lines read "a c b c d".
    /// </summary>
    private static string CloseCallLines(string folder)
    {
        Directory.CreateDirectory(folder);
        int[] classes = [1, 1, 0, 2, 3, 0, 0, 4];
        for (var i = 0; i < 4; i++)
        {
            var x = new float[Steps * Classes];
            for (var t = 0; t < Steps; t++) x[t * Classes + classes[t]] = 2.55f;
            if (i % 2 == 0) (x[2 * Classes + 0], x[2 * Classes + 3], x[2 * Classes + 4]) = (0, 1.001f, 1.003f);
            NpyFormat.Write(Path.Combine(folder, $"line_{i:0000}.npy"), HostTensor.FromArray(x, [1, Steps, Classes]));
        }
        return folder;
    }

    [Fact]
    public void The_int8_budget_decides_by_the_reading_and_returns_nodes_to_float_until_it_holds()
    {
        using var dir = TestPaths.NewTempDir();
        var data = CloseCallLines(dir.File("data"));
        var model = Recognizer(dir.File("model.onnx"));
        var result = CliRunner.Run(model, "-o", dir.File("out"), "--quantize", "int8", "--calibrate", data, "--validate", data,
            "--max-accuracy-drop", "ctc-agreement=1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(result.Stderr.Contains("accuracy budget missed with 0 nodes in float (ctc-agreement 0.5)"), result.Stderr + result.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        var ctc = report.RootElement.GetProperty("validation").GetProperty("outputs")[0].GetProperty("ctcAgreement")[0];
        Assert.Equal(1.0, ctc.GetProperty("agreement").GetDouble());
        // ranked by the time steps each node changes (the reading of a few lines rarely moves for one node)
        Assert.Contains("by the time steps whose arg-max changes, then output SQNR)", result.Stderr);
        Assert.Contains("| node | steps unchanged | output SQNR (dB) |", File.ReadAllText(dir.File("out/report.md")));
        // the calibration method was chosen by the same reading, on the budget's data
        Assert.Matches(@"calibration method: (minmax|percentile) \(ctc-agreement against FP32 on 4 samples of .*: minmax 0\.5, percentile 0\.5; compared in \d+\.\d\d s\)", result.Stderr);
    }

    [Fact]
    public void A_pipeline_file_gives_the_gate_with_its_blank_class_as_the_command_line_does()
    {
        using var dir = TestPaths.NewTempDir();
        CloseCallLines(dir.File("data"));
        Recognizer(dir.File("model.onnx"));
        File.WriteAllText(dir.File("rec.yaml"), """
            model: model.onnx
            output: out
            quantize: int8
            calibrate: data
            validate:
              data: data
              max-accuracy-drop: {ctc-agreement@0: 1}
            """);
        Assert.Contains("--max-accuracy-drop ctc-agreement@0=1", CliRunner.Run("run", dir.File("rec.yaml"), "--dry-run").Stdout);
        var run = CliRunner.Run("run", dir.File("rec.yaml"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("accuracy budget missed with 0 nodes in float (ctc-agreement@0 0.5)", run.Stderr);
        Assert.Contains("PASS gate ctc-agreement@0 >= 1 passed", run.Stdout);
    }

    [Fact]
    public void The_cache_keys_a_validation_by_the_gate_and_its_blank_class()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Lines(dir.File("data"));
        var model = Recognizer(dir.File("model.onnx"));
        CliRunner.Result Run(string outDir, string gate) =>
            CliRunner.Run(model, "-o", dir.File(outDir), "--validate", data, "--cache", dir.File("cache"), "--max-accuracy-drop", gate);

        var first = Run("a", "ctc-agreement=1");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("cache: validate miss (key ", first.Stderr);
        Assert.Contains("cache: validate hit (key ", Run("b", "ctc-agreement=1").Stderr);
        var lastBlank = Run("c", "ctc-agreement@-1=1");
        Assert.True(lastBlank.ExitCode == 0, lastBlank.Stderr);
        Assert.Contains("cache: validate miss (key ", lastBlank.Stderr);
        Assert.Contains("CTC agreement (blank -1) 1 over 2 rows", lastBlank.Stdout);
    }

    [Fact]
    public void With_a_dictionary_the_labels_are_true_text_and_the_accuracy_gate_counts_lines_read_exactly()
    {
        using var dir = TestPaths.NewTempDir();
        var data = Lines(dir.File("data"));
        // classes 1..4 are a, b, c, d (blank 0): both lines read "abcd"; the second line's label says otherwise
        File.WriteAllLines(Path.Combine(data, "dictionary.txt"), ["a", "b", "c", "d"]);
        File.WriteAllLines(Path.Combine(data, "labels.txt"), ["line_0000.npy abcd", "line_0001.npy ab d"]);
        var baseline = Recognizer(dir.File("baseline.onnx"));
        var bump = new float[Steps * Classes];
        bump[2 * Classes + 4] = 1;
        var misread = Recognizer(dir.File("misread.onnx"), bump); // reads the first line "adbcd"

        var same = CliRunner.Run("validate", "--baseline", baseline, "--candidate", baseline, "--data", data, "--report", dir.File("same"));
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Contains("accuracy (2 labelled lines, read exactly from 'scores'): baseline 0.5, candidate 0.5, drop 0; "
                        + "character error rate baseline 0.125, candidate 0.125", same.Stdout); // "ab d" read "abcd": 1 edit of 8 characters

        var failed = CliRunner.Run("validate", "--baseline", baseline, "--candidate", misread, "--data", data,
            "--max-accuracy-drop", "accuracy=0.1", "--report", dir.File("misread"));
        Assert.True(failed.ExitCode == 1, failed.Stdout + failed.Stderr);
        Assert.Contains("accuracy (2 labelled lines, read exactly from 'scores'): baseline 0.5, candidate 0, drop 0.5; "
                        + "character error rate baseline 0.125, candidate 0.25", failed.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("misread/report.json")));
        Assert.True(report.RootElement.GetProperty("accuracy").GetProperty("exactText").GetBoolean());

        // a dictionary that does not fit the output's classes is refused naming it
        File.WriteAllLines(Path.Combine(data, "dictionary.txt"), ["a", "b"]);
        var bad = CliRunner.Run("validate", "--baseline", baseline, "--candidate", baseline, "--data", data, "--report", dir.File("bad"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("dictionary.txt has 2 entries, but no output has 3 or 4 classes", bad.Stderr);
    }
}
