using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Support;

/// <summary>
/// The backend-suite models ready to be changed and compared: each read, with its test_data_set_0 inputs and the
/// outputs ONNX Runtime gives for it as it is. A model that cannot be (no inputs, a random op, a run that fails) is
/// put in <c>failed</c> with the reason instead, for the suite test's exclusion list to account for.
/// </summary>
public static class BackendCases
{
    public sealed record Case(string Name, Model Model, Dictionary<string, TestTensor> Inputs, Dictionary<string, TestTensor> Expected);

    private static readonly HashSet<string> RandomOps = ["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"];

    /// <param name="before">How a failure of the unchanged model is described ("before the passes").</param>
    public static IEnumerable<Case> Load(IReadOnlyList<string> models, Dictionary<string, string> failed, string before)
    {
        foreach (var path in models)
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            Case? loaded = null;
            try
            {
                var model = ModelReader.Read(path);
                var inputs = ReferenceData.BackendInputs(path, model);
                if (inputs is null) failed[name] = "no test_data_set_0 inputs";
                else if (model.Graph.AllNodes().FirstOrDefault(n => RandomOps.Contains(n.OpType) || IsTrainingDropout(n)) is { } random)
                    failed[name] = "random op " + random.OpType;
                else loaded = new Case(name, model, inputs, OrtRunner.Run(File.ReadAllBytes(path), inputs));
            }
            catch (Exception e)
            {
                failed[name] = $"{before}: {e.GetType().Name}: {FirstLine(e.Message)}";
            }
            if (loaded is not null) yield return loaded;
        }
    }

    public static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static bool IsTrainingDropout(Node n) => n.OpType == "Dropout" && n.Input(2) is not null;
}
