using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>Models and data the validation tests share: a perturbed copy of mobilenet_v2 and a small image folder.</summary>
public static class ModelFixtures
{
    public static readonly string MobileNet = TestPaths.SharedModel("mobilenet_v2.onnx");

    /// <summary>
    /// Writes mobilenet_v2 with the classifier's weight matrix (the largest 2-D initializer) changed by seeded noise
    /// of <paramref name="relative"/> times each weight's size, through the IR's reader and writer.
    /// </summary>
    public static string WritePerturbedMobileNet(string folder, double relative)
    {
        var model = ModelReader.Read(MobileNet);
        var weight = model.Graph.Initializers.Where(v => v.Initializer!.Dims.Count == 2).MaxBy(v => v.Initializer!.ElementCount)!.Initializer!;
        var values = weight.ToArray<float>();
        var random = new Random(99);
        for (var i = 0; i < values.Length; i++) values[i] += (float)(values[i] * relative * (random.NextDouble() * 2 - 1));
        weight.SetData(values, weight.Dims.ToArray());
        var path = Path.Combine(folder, "mobilenet_v2_perturbed.onnx");
        ModelWriter.Write(model, path);
        return path;
    }

    /// <summary>A folder with a few of the shared images and labels for them (the first is the class the model gives).</summary>
    public static string SmallImageFolder(string folder, bool labels = false)
    {
        var names = new[] { "astronaut.png", "coffee.png", "rocket.jpg", "chelsea.png" };
        foreach (var name in names) File.Copy(TestPaths.SharedModel("images/" + name), Path.Combine(folder, name));
        if (labels) File.WriteAllText(Path.Combine(folder, "labels.txt"), "astronaut.png 359\ncoffee.png 743\nrocket.jpg 1\nchelsea.png 2\n");
        return folder;
    }
}
