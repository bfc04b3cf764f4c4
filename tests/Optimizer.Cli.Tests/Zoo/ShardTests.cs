using Optimizer.Cli.Zoo;
using Optimizer.Onnx.Errors;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>
/// <c>--shard i/N</c>: disjoint slices that together are the zoo, chosen by a hash of each job's name so that adding
/// or removing a model moves only that model; <c>auto/N</c> reads JOB_COMPLETION_INDEX; bad text is exit 2.
/// </summary>
public class ShardTests
{
    private static readonly List<string> Names = Enumerable.Range(0, 400).Select(i => $"model_{i:000}").ToList();

    [Fact]
    public void TheSlicesAreDisjointCoverTheZooAndAreRoughlyEven()
    {
        var slices = Enumerable.Range(0, 4).Select(i => Names.Where(new Shard(i, 4).Holds).ToList()).ToList();

        Assert.Equal(Names.Order(StringComparer.Ordinal), slices.SelectMany(s => s).Order(StringComparer.Ordinal));
        Assert.All(slices, s => Assert.InRange(s.Count, 60, 140));
    }

    [Fact]
    public void AddingOrRemovingAModelMovesOnlyThatModel()
    {
        var before = Names.ToDictionary(n => n, n => Shard.Of(n, 4));
        // The slice of a job depends on its name only, never on its position: another zoo order, more or fewer jobs.
        var reversed = Names.AsEnumerable().Reverse().Skip(1).Append("a_new_model").ToList();

        Assert.All(reversed.Where(before.ContainsKey), n => Assert.Equal(before[n], Shard.Of(n, 4)));
    }

    [Fact]
    public void OneMoreShardMovesAboutItsShareOfJobsNotAll()
    {
        var moved = Names.Count(n => Shard.Of(n, 4) != Shard.Of(n, 5));

        // Rendezvous hashing moves the jobs the new slice takes (about 1/5), and only to the new slice.
        Assert.InRange(moved, 40, 120);
        Assert.All(Names.Where(n => Shard.Of(n, 4) != Shard.Of(n, 5)), n => Assert.Equal(4, Shard.Of(n, 5)));
    }

    [Theory]
    [InlineData("0/4", null, 0, 4)]
    [InlineData("3/4", null, 3, 4)]
    [InlineData("0/1", null, 0, 1)]
    [InlineData("auto/4", "2", 2, 4)]
    [InlineData(" 1 / 2 ", null, 1, 2)]
    public void ParsesIndexOfCount(string text, string? environment, int index, int count)
    {
        Assert.Equal(new Shard(index, count), Shard.Parse(text, environment));
    }

    [Theory]
    [InlineData("4/4", null, "the index must be a whole number from 0 to 3")]
    [InlineData("-1/4", null, "the index must be a whole number from 0 to 3")]
    [InlineData("1/0", null, "the number of shards must be a whole number of at least 1")]
    [InlineData("4", null, "expected i/N with 0 <= i < N")]
    [InlineData("a/b", null, "the number of shards must be")]
    [InlineData("auto/4", null, "JOB_COMPLETION_INDEX is not set")]
    [InlineData("auto/4", "4", "JOB_COMPLETION_INDEX='4' is not an index from 0 to 3")]
    [InlineData("auto/4", "x", "JOB_COMPLETION_INDEX='x' is not an index")]
    public void RefusesWhatIsNotAShard(string text, string? environment, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => Shard.Parse(text, environment));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("--shard", e.Message);
    }

    [Theory]
    [InlineData("2/2")]
    [InlineData("1-of-2")]
    [InlineData("auto/2")]
    public void BadShardTextOnTheCommandLineIsExit2WithOneLineAndNothingRuns(string shard)
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Shard.IndexVariable)), "the test process must not be an Indexed Job's pod");
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("zoo.yaml"), $"jobs:\n  - name: a\n    model: {ZooFixture.TinyCnn}\n    output: out/a\n");

        var result = CliRunner.Run("run", dir.File("zoo.yaml"), "--shard", shard);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --shard", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
