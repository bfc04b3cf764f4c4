using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Support;

/// <summary>Reference inputs and outputs: <c>../shared/models/ref/&lt;model&gt;/</c> (.npy, named by meta.json) and backend test_data_set folders (.pb).</summary>
public static class ReferenceData
{
    public sealed record Case(Dictionary<string, TestTensor> Inputs, Dictionary<string, TestTensor> Outputs);

    public static string Folder(string modelStem) => Path.Combine(TestPaths.SharedModels, "ref", modelStem);

    /// <summary>The case meta.json describes: its "inputs" and "outputs" maps of tensor name to .npy file.</summary>
    public static Case SharedModelCase(string modelStem)
    {
        var folder = Folder(modelStem);
        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "meta.json")));
        return new Case(Load(folder, meta.RootElement.GetProperty("inputs")), Load(folder, meta.RootElement.GetProperty("outputs")));
    }

    public static TestTensor Npy(string path)
    {
        var host = NpyFormat.Read(path);
        return TestTensor.FromTensor(Tensor.FromBytes("ref", (ElementType)(int)host.ElementType, host.Shape, host.Bytes));
    }

    /// <summary>The input_K.pb files of a backend test folder's test_data_set_0, by graph input order.</summary>
    public static Dictionary<string, TestTensor>? BackendInputs(string modelPath, Model model)
    {
        var folder = Path.Combine(Path.GetDirectoryName(modelPath)!, "test_data_set_0");
        if (!Directory.Exists(folder)) return null;
        var inputs = model.Graph.Inputs.Where(v => !v.IsInitializer).ToList();
        var result = new Dictionary<string, TestTensor>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var file = Path.Combine(folder, $"input_{i}.pb");
            if (!File.Exists(file)) return null;
            result[inputs[i].Name] = TestTensor.FromTensor(TensorFile.Read(file));
        }
        return result;
    }

    /// <summary>The output_K.pb files of a backend test folder's test_data_set_0 (what the exporter computed), by graph output order.</summary>
    public static Dictionary<string, TestTensor>? BackendOutputs(string modelPath, Model model)
    {
        var folder = Path.Combine(Path.GetDirectoryName(modelPath)!, "test_data_set_0");
        var result = new Dictionary<string, TestTensor>();
        for (var i = 0; i < model.Graph.Outputs.Count; i++)
        {
            var file = Path.Combine(folder, $"output_{i}.pb");
            if (!File.Exists(file)) return null;
            result[model.Graph.Outputs[i].Name] = TestTensor.FromTensor(TensorFile.Read(file));
        }
        return result;
    }

    private static Dictionary<string, TestTensor> Load(string folder, JsonElement map) =>
        map.EnumerateObject().ToDictionary(p => p.Name, p => Npy(Path.Combine(folder, p.Value.GetString()!)));
}
