using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>Recognizer-shaped models and lines for the CTC tests: per-step class scores [1, T, C], blank 0.</summary>
internal static class CtcTestModels
{
    /// <summary>x [1, T, C] → MatMul(identity) → (+ bump) → (× scale) → Softmax over the classes → 'scores' [1, T, C].</summary>
    public static string Recognizer(string path, int steps, int classes, float[]? bump = null, float scale = 1)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, steps, classes);
        var identity = new float[classes * classes];
        for (var c = 0; c < classes; c++) identity[c * classes + c] = 1;
        var y = b.Op("MatMul", [x, b.Initializer("w", identity, classes, classes)]);
        if (bump is not null) y = b.Op("Add", [y, b.Initializer("bump", bump, 1, steps, classes)]);
        if (scale != 1) y = b.Op("Mul", [y, b.Initializer("scale", [scale])]);
        var scores = b.Op("Softmax", [y], ("axis", 2));
        scores.Name = "scores";
        b.Output(scores);
        ModelWriter.Write(b.Build(), path);
        return path;
    }

    /// <summary>folder/line_{index}.npy: at each step t a peak of <paramref name="peak"/>(t) on class <paramref name="perStep"/>[t], 0 elsewhere.</summary>
    public static void Line(string folder, int index, int classes, IReadOnlyList<int> perStep, Func<int, float> peak)
    {
        var x = new float[perStep.Count * classes];
        for (var t = 0; t < perStep.Count; t++) x[t * classes + perStep[t]] = peak(t);
        NpyFormat.Write(Path.Combine(folder, $"line_{index:0000}.npy"), HostTensor.FromArray(x, [1, perStep.Count, classes]));
    }
}
