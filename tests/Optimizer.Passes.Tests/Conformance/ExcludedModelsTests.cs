using Optimizer.TestKit;
using Xunit.Sdk;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>The exclusion list the suite tests use: a new failure fails, and so does a listed model that passes.</summary>
public sealed class ExcludedModelsTests
{
    private static ExcludedModels List() => new ExcludedModels().Add("no kernel", "a", "b").Add("random op", "c");

    [Fact]
    public void ListedFailuresAndUnlistedPassesAgree()
    {
        var log = new List<string>();
        List().Check(new Dictionary<string, string> { ["a"] = "x", ["b"] = "y", ["c"] = "z" }, ["d", "e"], log.Add);
        Assert.Empty(log);
    }

    [Fact]
    public void AnUnlistedFailureFails()
    {
        var log = new List<string>();
        var e = Assert.Throws<TrueException>(() => List().Check(new Dictionary<string, string> { ["a"] = "x", ["b"] = "y", ["c"] = "z", ["d"] = "new" }, ["e"], log.Add));
        Assert.Contains("\"d\"", e.Message);
        Assert.Single(log);
    }

    [Fact]
    public void AListedModelThatPassesFails()
    {
        var log = new List<string>();
        var e = Assert.Throws<TrueException>(() => List().Check(new Dictionary<string, string> { ["a"] = "x", ["b"] = "y" }, ["c"], log.Add));
        Assert.Contains("listed (random op) but passes: c", e.Message);
    }

    [Fact]
    public void AListedModelMissingFromTheSuiteFails()
    {
        var e = Assert.Throws<TrueException>(() => List().Check(new Dictionary<string, string> { ["a"] = "x", ["c"] = "z" }, [], _ => { }));
        Assert.Contains("listed but not in the suite: b", e.Message);
    }

    [Fact]
    public void AModelListedTwiceIsRefused() =>
        Assert.Throws<ArgumentException>(() => new ExcludedModels().Add("one", "a").Add("two", "a"));
}
