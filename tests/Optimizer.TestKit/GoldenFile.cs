namespace Optimizer.TestKit;

/// <summary>
/// Golden-file comparison for text forms (GraphPrinter output): the expected text lives in a file beside the test
/// source. Set OPTIMIZER_UPDATE_GOLDEN=1 to rewrite the files from the actual output, then review the diff.
/// </summary>
public static class GoldenFile
{
    public static void AssertMatches(string actual, string relativePath)
    {
        var path = Path.Combine(TestPaths.RepoRoot, relativePath);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("OPTIMIZER_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Xunit.Assert.True(File.Exists(path), $"golden file {relativePath} is missing; run with OPTIMIZER_UPDATE_GOLDEN=1 to create it");
        Xunit.Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }
}
