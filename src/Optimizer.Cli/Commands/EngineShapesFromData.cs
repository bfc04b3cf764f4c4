using Optimizer.Cli.Pipeline;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The engine's shapes when none were given and the model has dynamic inputs: those of the data the run already reads
/// (<c>--calibrate</c>, else <c>--validate</c>), the shapes the model is used with, instead of 1 for every unknown
/// dimension (an engine for one token, or for one audio sample: silero VAD v5's STFT front end is built for 512 samples
/// a frame). When the samples' shapes differ (text lines read at their own width), the profile spans them: min and max
/// per dimension over the samples, opt the first sample's.
/// </summary>
public static class EngineShapesFromData
{
    /// <summary>Samples whose shapes are read (their data is decoded too, so a large folder is not read whole for this).</summary>
    public const int MaxSamples = 256;

    /// <param name="facts">The written model's inputs (read from the model in memory before it was written).</param>
    /// <returns><paramref name="engineRun"/>, with the data's shapes when it had none and they could be read.</returns>
    public static EngineRunOptions Fill(EngineRunOptions engineRun, ModelFacts facts, OptimizeOptions options, string? dataFolder, TextWriter stderr)
    {
        if (!engineRun.Settings.Shapes.IsEmpty || dataFolder is null || !facts.Inputs.Any(i => i.IsDynamic)) return engineRun;
        var samples = InputData.Open(dataFolder, options).Read().Take(MaxSamples)
            .Select(s => facts.Inputs.Where(i => s.Inputs.ContainsKey(i.Name)).Select(i => (i.Name, Dims: s.Inputs[i.Name].Shape)).ToList())
            .ToList();
        if (samples.Count == 0 || samples.Any(s => s.Count != facts.Inputs.Count)) return engineRun;
        var first = samples[0];
        if (samples.All(s => s.Zip(first).All(p => p.First.Dims.SequenceEqual(p.Second.Dims))))
        {
            var spec = ShapeProfile.ToSpec(first);
            stderr.WriteLine($"engine shapes from the first sample of {dataFolder}: {spec} (give {engineRun.ShapesOption}, or the min/opt/max shapes, to choose others)");
            return engineRun with { Settings = engineRun.Settings with { Shapes = new ShapeRequest(Shapes: spec) } };
        }
        if (samples.Any(s => s.Zip(first).Any(p => p.First.Dims.Length != p.Second.Dims.Length))) return engineRun;
        var min = first.Select((e, k) => (e.Name, Dims: Fold(samples.Select(s => s[k].Dims), Math.Min))).ToList();
        var max = first.Select((e, k) => (e.Name, Dims: Fold(samples.Select(s => s[k].Dims), Math.Max))).ToList();
        var request = new ShapeRequest(Min: ShapeProfile.ToSpec(min), Opt: ShapeProfile.ToSpec(first), Max: ShapeProfile.ToSpec(max));
        stderr.WriteLine($"engine shapes from the {samples.Count} samples of {dataFolder}, whose shapes differ: min {request.Min}, opt {request.Opt} (the first), max {request.Max} " +
                         $"(give {engineRun.ShapesOption}, or the min/opt/max shapes, to choose others)");
        return engineRun with { Settings = engineRun.Settings with { Shapes = request } };
    }

    private static long[] Fold(IEnumerable<long[]> shapes, Func<long, long, long> pick) =>
        shapes.Aggregate((a, b) => a.Zip(b, pick).ToArray());
}
