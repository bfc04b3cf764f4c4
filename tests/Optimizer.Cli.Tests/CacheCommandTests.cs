using System.Text.Json.Nodes;
using Optimizer.Cli.Caching;
using Optimizer.Onnx.IO;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary><c>optimize cache list|prune</c>: the entries of a cache folder, and pruning it to a size, least recently used first.</summary>
public sealed class CacheCommandTests : IDisposable
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Calib = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "calib");
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private string Cache => _dir.File("cache");

    /// <summary>Two optimize entries and one calibrate entry; the optimize entries last used at the given times.</summary>
    private (string Older, string Newer) Fill()
    {
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", _dir.File("a"), "--quantize", "int8", "--calibrate", Calib, "--cache", Cache).ExitCode);
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", _dir.File("b"), "--cache", Cache).ExitCode);
        var keys = Directory.GetDirectories(Path.Combine(Cache, "optimize")).ToList();
        var quantized = keys.Single(k => File.Exists(Path.Combine(k, "out", "calibration.json")));
        var plain = keys.Single(k => k != quantized);
        SetLastUsed(plain, "2026-01-01T00:00:00.000Z");
        SetLastUsed(quantized, "2026-02-01T00:00:00.000Z");
        SetLastUsed(Assert.Single(Directory.GetDirectories(Path.Combine(Cache, "calibrate"))), "2026-03-01T00:00:00.000Z");
        return (plain, quantized);
    }

    private static void SetLastUsed(string entry, string time)
    {
        var json = CacheEntryFolder.Read(entry)!;
        json["lastUsed"] = time;
        File.WriteAllText(Path.Combine(entry, "entry.json"), json.ToJsonString());
    }

    private static long Size(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void List_shows_each_entry_least_recently_used_first_with_the_totals()
    {
        var (older, newer) = Fill();

        var list = CliRunner.Run("cache", "list", "--cache", Cache);

        Assert.True(list.ExitCode == 0, list.Stderr);
        var lines = list.Stdout.TrimEnd().Split('\n');
        Assert.StartsWith("step       key           model", lines[0]);
        Assert.Matches($"^optimize +{Path.GetFileName(older)[..12]}  tiny_cnn.onnx +.* 2026-01-01 00:00:00$", lines[1]);
        Assert.Matches($"^optimize +{Path.GetFileName(newer)[..12]}  tiny_cnn.onnx +.* 2026-02-01 00:00:00$", lines[2]);
        Assert.StartsWith("calibrate ", lines[3]);
        Assert.StartsWith("3 entries (2 optimize, 1 calibrate), ", lines[4]);
        Assert.EndsWith($" in {Cache}", lines[4]);
    }

    [Fact]
    public void List_json_gives_each_entrys_step_key_model_size_and_last_use()
    {
        var (older, _) = Fill();

        var list = CliRunner.Run("cache", "list", "--cache", Cache, "--json");

        var json = JsonNode.Parse(list.Stdout)!;
        Assert.Equal(3, (int)json["count"]!);
        var first = json["entries"]![0]!;
        Assert.Equal("optimize", (string?)first["step"]);
        Assert.Equal(Path.GetFileName(older), (string?)first["key"]);
        Assert.Equal(Size(older), (long)first["bytes"]!);
        Assert.Equal("2026-01-01T00:00:00.000Z", (string?)first["lastUsed"]);
        Assert.Equal(Size(Path.Combine(Cache, "optimize")) + Size(Path.Combine(Cache, "calibrate")), (long)json["bytes"]!);
    }

    [Fact]
    public void Prune_removes_the_least_recently_used_entries_until_the_rest_fit()
    {
        var (older, newer) = Fill();
        var calibrate = Directory.GetDirectories(Path.Combine(Cache, "calibrate")).Single();
        var stale = Path.Combine(Cache, "optimize", $".{new string('0', 64)}.{int.MaxValue}.feed.tmp");
        Directory.CreateDirectory(stale);
        var limit = Size(newer) + Size(calibrate);

        var prune = CliRunner.Run("cache", "prune", "--cache", Cache, "--max-size", limit.ToString());

        Assert.True(prune.ExitCode == 0, prune.Stderr);
        Assert.False(Directory.Exists(older));
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(newer));
        Assert.True(Directory.Exists(calibrate));
        Assert.Contains($"removed optimize {Path.GetFileName(older)[..12]} tiny_cnn.onnx (", prune.Stdout);
        Assert.Contains("(left half-written by a run that stopped)", prune.Stdout);
        Assert.Contains("removed 1 entry (", prune.Stdout);

        var all = CliRunner.Run("cache", "prune", "--cache", Cache, "--max-size", "0");
        Assert.Contains("removed 2 entries", all.Stdout);
        Assert.Empty(CacheInventory.Entries(Cache));
    }

    [Theory]
    [InlineData("500M", 500L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    [InlineData("1000", 1000L)]
    public void Sizes_read_as_bytes_or_with_a_binary_unit(string text, long bytes) =>
        Assert.Equal(bytes, CacheInventory.ParseSize(text));

    [Theory]
    [InlineData("prune", "--max-size", "12Q")]
    [InlineData("prune", "--max-size", "-5M")]
    [InlineData("prune", "--max-size", "")]
    [InlineData("list")]
    [InlineData("prune", "--max-size", "1G")]
    public void A_bad_size_or_a_missing_folder_exits_2_with_one_line(params string[] args)
    {
        var missing = _dir.File("no-such-cache");
        var run = CliRunner.Run(["cache", .. args, "--cache", args.Contains("12Q") || args.Contains("-5M") || args.Contains("") ? _dir.Path : missing]);

        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", run.Stderr);
        Assert.False(Directory.Exists(missing));
        Assert.DoesNotContain("   at ", run.Stderr);
    }
}
