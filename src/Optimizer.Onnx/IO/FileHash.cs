using System.Security.Cryptography;

namespace Optimizer.Onnx.IO;

public static class FileHash
{
    /// <summary>Lower-case hex SHA-256 of a file, streamed.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Lower-case hex SHA-256 over a folder's files (recursively, in ordinal order of their relative paths): each
    /// file's relative path and content hash. The same data gives the same hash wherever the folder lies.
    /// </summary>
    public static string FolderSha256(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\n" + Sha256(Path.Combine(folder, file)) + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
