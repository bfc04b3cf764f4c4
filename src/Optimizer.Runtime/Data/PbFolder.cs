using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Samples from ONNX backend-test folders: <c>test_data_set_N/input_K.pb</c> (and <c>output_K.pb</c>, the expected
/// outputs). The folder may hold several <c>test_data_set_N</c> folders or be one itself. A tensor is matched to the
/// model's input (or output) by its name when it has one that matches, else by its index K.
/// </summary>
public static class PbFolder
{
    public static IReadOnlyList<SampleEntry> Scan(string folder, ModelSignature signature)
    {
        var sets = Directory.EnumerateDirectories(folder, "test_data_set_*")
            .OrderBy(d => int.TryParse(Path.GetFileName(d)["test_data_set_".Length..], out var n) ? n : int.MaxValue)
            .ThenBy(d => d, StringComparer.Ordinal)
            .ToList();
        if (sets.Count == 0 && File.Exists(Path.Combine(folder, "input_0.pb"))) sets.Add(folder);
        return sets.Select(dir => new SampleEntry(Path.GetFileName(dir), () => Load(dir, signature))).ToList();
    }

    private static Sample Load(string dir, ModelSignature signature)
    {
        var inputs = ReadNumbered(dir, "input_", signature.Inputs);
        var outputs = ReadNumbered(dir, "output_", signature.Outputs);
        return new Sample(Path.GetFileName(dir), dir, inputs, outputs.Count > 0 ? outputs : null);
    }

    private static Dictionary<string, HostTensor> ReadNumbered(string dir, string prefix, IReadOnlyList<TensorSpec> specs)
    {
        var result = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        for (var k = 0; ; k++)
        {
            var path = Path.Combine(dir, $"{prefix}{k}.pb");
            if (!File.Exists(path)) break;
            var (name, tensor) = PbTensorReader.Read(path);
            var key = specs.Any(s => s.Name == name) ? name : k < specs.Count ? specs[k].Name : $"{prefix}{k}";
            result[key] = tensor;
        }
        return result;
    }
}
