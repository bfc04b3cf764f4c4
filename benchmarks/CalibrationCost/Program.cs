using System.Diagnostics;
using System.Text.Json;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

// Calibration's cost against plain FP32 inference over the same samples, timed side by side in alternating rounds.
// Usage: CalibrationCost MODEL DATA CALIBRATION_JSON [--threads N] [--rounds R] [--repeat K]
//   CALIBRATION_JSON: OUT/calibration.json of an `optimize MODEL --quantize int8 --calibrate DATA` run (its tensors).
//   --repeat K: the data set's samples K times over (more samples, same data). Samples are read before timing.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: CalibrationCost MODEL DATA CALIBRATION_JSON [--threads N] [--rounds R] [--repeat K]");
    return 2;
}
var threads = Option("--threads", 0);
var rounds = Option("--rounds", 5);
var repeat = Option("--repeat", 1);
var bytes = File.ReadAllBytes(args[0]);
var names = JsonDocument.Parse(File.ReadAllText(args[2])).RootElement.GetProperty("ranges").EnumerateObject().Select(p => p.Name).ToList();
var session = SessionSettings.ForSpeed with { Threads = threads };
ModelSignature signature;
using (var probe = SessionFactory.Create(bytes, args[0], session)) signature = ModelSignature.Of(probe);
var once = DataSet.Open(new DataOptions { Folder = args[1] }, signature).Read().ToList();
var samples = Enumerable.Repeat(once, repeat).SelectMany(s => s).ToList();
Console.WriteLine($"{Path.GetFileName(args[0])}: {samples.Count} samples, {names.Count} observed tensors, threads {(threads == 0 ? "ONNX Runtime's choice" : threads)}, {Environment.ProcessorCount} cores");

var variants = new (string Name, Func<double> Run)[]
{
    ("plain FP32 inference", () => Plain(bytes, samples, session)),
    ("calibration, min/max + percentile (best's statistics)", () => Calibrate(new CalibrationSettings { AlsoRead = [CalibrationMethod.Percentile], Session = session })),
    ("calibration, min/max only", () => Calibrate(new CalibrationSettings { Session = session })),
    ("calibration, entropy (histogram)", () => Calibrate(new CalibrationSettings { Method = CalibrationMethod.Entropy, Session = session })),
    ("as before: one sample at a time, histogram", () => Calibrate(new CalibrationSettings { AlsoRead = [CalibrationMethod.Percentile], KeepHistograms = true, Workers = 1, Session = session })),
};
var times = variants.Select(_ => new List<double>()).ToArray();
for (var warm = 0; warm < 1; warm++) foreach (var v in variants) v.Run();
for (var r = 0; r < rounds; r++)
    for (var i = 0; i < variants.Length; i++) times[i].Add(variants[i].Run());
var plain = Median(times[0]);
for (var i = 0; i < variants.Length; i++)
{
    var m = Median(times[i]);
    Console.WriteLine($"  {variants[i].Name,-56} median {m:0.000} s ({m / plain:0.00}x plain; rounds {string.Join(" ", times[i].Select(t => t.ToString("0.000")))})");
}
return 0;

double Calibrate(CalibrationSettings settings)
{
    var clock = Stopwatch.StartNew();
    Calibrator.Collect(bytes, names, samples, settings);
    return clock.Elapsed.TotalSeconds;
}

static double Plain(byte[] model, List<Sample> samples, SessionSettings settings)
{
    var clock = Stopwatch.StartNew();
    using var s = SessionFactory.Create(model, "model", settings);
    var inputs = s.InputNames.ToArray();
    var outputs = s.OutputNames.ToArray();
    using var options = new Microsoft.ML.OnnxRuntime.RunOptions();
    foreach (var sample in samples)
    {
        var values = inputs.Select(n => sample.Inputs[n].ToOrtValue()).ToArray();
        using (s.Run(options, inputs, values, outputs)) { }
        foreach (var v in values) v.Dispose();
    }
    return clock.Elapsed.TotalSeconds;
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
