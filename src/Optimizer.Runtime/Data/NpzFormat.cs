using System.IO.Compression;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Data;

/// <summary>The numpy <c>.npz</c> format: a zip archive holding one <c>NAME.npy</c> per array.</summary>
public static class NpzFormat
{
    /// <summary>Reads every array of the archive, keyed by its name (the entry name without <c>.npy</c>).</summary>
    public static IReadOnlyDictionary<string, HostTensor> Read(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var arrays = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
                using var stream = entry.Open();
                arrays[entry.FullName[..^4]] = NpyFormat.Read(stream, $"{path}[{entry.FullName}]");
            }
            if (arrays.Count == 0) throw new InvalidInputException($"{path}: the .npz archive holds no .npy arrays");
            return arrays;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException($"{path}: not a valid .npz (zip) archive: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{path}: cannot read: {e.Message}", e);
        }
    }

    public static void Write(Stream stream, IReadOnlyDictionary<string, HostTensor> arrays)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, tensor) in arrays)
        {
            using var entry = zip.CreateEntry(name + ".npy", CompressionLevel.Fastest).Open();
            NpyFormat.Write(entry, tensor);
        }
    }
}
