using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Samples from <c>.npy</c>/<c>.npz</c> files: a <c>.npz</c> is one sample with an array per input; a model with one
/// input takes each <c>.npy</c> as a sample; several inputs take <c>&lt;input&gt;_NNNN.npy</c> files grouped by NNNN.
/// </summary>
public static class NpyFolder
{
    public static IReadOnlyList<SampleEntry> Scan(string folder, ModelSignature signature)
    {
        var npz = Files(folder, ".npz");
        if (npz.Count > 0)
            return npz.Select(path => new SampleEntry(Path.GetFileName(path), () => new Sample(Path.GetFileName(path), path, NpzFormat.Read(path)))).ToList();
        var npy = Files(folder, ".npy");
        if (npy.Count == 0) return [];
        if (signature.Inputs.Count == 1)
        {
            var name = signature.Inputs[0].Name;
            return npy.Select(path => new SampleEntry(Path.GetFileName(path),
                () => new Sample(Path.GetFileName(path), path, new Dictionary<string, HostTensor> { [name] = NpyFormat.Read(path) }))).ToList();
        }
        return Grouped(folder, npy, signature);
    }

    private static List<SampleEntry> Grouped(string folder, List<string> files, ModelSignature signature)
    {
        // The longest input name that prefixes the file name wins, so inputs "x" and "x_mask" do not collide.
        var names = signature.Inputs.Select(i => i.Name).OrderByDescending(n => n.Length).ToList();
        var groups = new SortedDictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            var input = names.FirstOrDefault(n => stem.StartsWith(n + "_", StringComparison.Ordinal))
                ?? throw new InvalidInputException(NotAnInput(path, stem, signature));
            var key = stem[(input.Length + 1)..];
            if (!groups.TryGetValue(key, out var group)) groups[key] = group = new Dictionary<string, string>(StringComparer.Ordinal);
            group[input] = path;
        }
        var entries = new List<SampleEntry>();
        foreach (var (key, group) in groups)
        {
            var missing = signature.Inputs.FirstOrDefault(i => !group.ContainsKey(i.Name));
            if (missing is not null)
                throw new InvalidInputException($"{Path.Combine(folder, missing.Name + "_" + key + ".npy")}: missing (sample {key} has {string.Join(", ", group.Values.Select(Path.GetFileName))})");
            var paths = group;
            entries.Add(new SampleEntry(key, () => new Sample(key, string.Join(" + ", paths.Values),
                paths.ToDictionary(p => p.Key, p => NpyFormat.Read(p.Value), StringComparer.Ordinal))));
        }
        return entries;
    }

    /// <summary>
    /// Why a file names no input: named &lt;name&gt;_NNNN.npy for a name the model does not have (a folder made for another
    /// version of the model, say), or not named that way at all.
    /// </summary>
    private static string NotAnInput(string path, string stem, ModelSignature signature)
    {
        var inputs = string.Join(", ", signature.Inputs.Select(i => i.Name));
        var cut = stem.LastIndexOf('_');
        return cut > 0 && cut < stem.Length - 1 && stem[(cut + 1)..].All(char.IsAsciiDigit)
            ? $"{path}: '{stem[..cut]}' is not an input of the model (inputs: {inputs}); each file is <input>_NNNN.npy for one of them"
            : $"{path}: the model has several inputs ({inputs}); name files <input>_NNNN.npy";
    }

    private static List<string> Files(string folder, string extension) =>
        Directory.EnumerateFiles(folder).Where(f => f.EndsWith(extension, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
}
