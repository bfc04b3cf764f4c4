using Optimizer.Cli.Pipeline;
using Optimizer.TensorRt.Flags;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The engine's shapes when none were given and the model has dynamic inputs: those of the first sample of the data
/// the run already reads (<c>--calibrate</c>, else <c>--validate</c>), the shapes the model is used with, instead of
/// 1 for every unknown dimension (an engine for one token, or for one audio sample: silero VAD v5's STFT front end is
/// built for 512 samples a frame).
/// </summary>
public static class EngineShapesFromData
{
    /// <param name="facts">The written model's inputs (read from the model in memory before it was written).</param>
    /// <returns><paramref name="engineRun"/>, with the data's shapes when it had none and they could be read.</returns>
    public static EngineRunOptions Fill(EngineRunOptions engineRun, ModelFacts facts, OptimizeOptions options, string? dataFolder, TextWriter stderr)
    {
        if (!engineRun.Settings.Shapes.IsEmpty || dataFolder is null || !facts.Inputs.Any(i => i.IsDynamic)) return engineRun;
        var first = InputData.Open(dataFolder, options).Read().FirstOrDefault();
        if (first is null) return engineRun;
        var entries = facts.Inputs.Where(i => first.Inputs.ContainsKey(i.Name)).Select(i => (i.Name, first.Inputs[i.Name].Shape)).ToList();
        if (entries.Count != facts.Inputs.Count) return engineRun;
        var spec = ShapeProfile.ToSpec(entries);
        stderr.WriteLine($"engine shapes from the first sample of {dataFolder}: {spec} (give {engineRun.ShapesOption}, or the min/opt/max shapes, to choose others)");
        return engineRun with { Settings = engineRun.Settings with { Shapes = new ShapeRequest(Shapes: spec) } };
    }
}
