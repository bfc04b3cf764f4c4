using System.Text.Json.Nodes;
using Optimizer.Cli.Caching;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>The cache key: inputs by content, never by path; names that look like paths stay names.</summary>
public sealed class CacheKeyTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string Key(JsonObject options) => new CacheKey("test").Options("options", options).Hash;

    [Fact]
    public void A_file_or_folder_counts_by_its_content_wherever_it_lies()
    {
        foreach (var folder in new[] { "a/data", "b/elsewhere/data" })
        {
            Directory.CreateDirectory(_dir.File($"{folder}/sub"));
            File.WriteAllText(_dir.File($"{folder}/sub/x.npy"), "same bytes");
            File.WriteAllText(_dir.File($"{folder}.json"), "{}");
        }

        var a = Key(new JsonObject { ["calibrateDir"] = _dir.File("a/data"), ["table"] = _dir.File("a/data.json") });
        var b = Key(new JsonObject { ["calibrateDir"] = _dir.File("b/elsewhere/data"), ["table"] = _dir.File("b/elsewhere/data.json") });
        File.WriteAllText(_dir.File("b/elsewhere/data/sub/x.npy"), "other bytes");
        var changed = Key(new JsonObject { ["calibrateDir"] = _dir.File("b/elsewhere/data"), ["table"] = _dir.File("b/elsewhere/data.json") });
        File.Move(_dir.File("b/elsewhere/data/sub/x.npy"), _dir.File("b/elsewhere/data/sub/y.npy"));
        var renamed = Key(new JsonObject { ["calibrateDir"] = _dir.File("b/elsewhere/data"), ["table"] = _dir.File("b/elsewhere/data.json") });

        Assert.Equal(a, b);
        Assert.NotEqual(a, changed);
        Assert.NotEqual(changed, renamed);
        Assert.DoesNotContain(_dir.Path, new CacheKey("test").Options("options", new JsonObject { ["calibrateDir"] = _dir.File("a/data") }).Text);
    }

    [Fact]
    public void Node_names_that_look_like_paths_stay_apart()
    {
        var first = Key(new JsonObject { ["exclude"] = new JsonArray("/features/features.0/Conv") });
        var second = Key(new JsonObject { ["exclude"] = new JsonArray("/classifier/features.0/Conv") });

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void The_step_and_every_option_value_count()
    {
        var options = new JsonObject { ["method"] = "percentile", ["percentile"] = 99.99 };

        Assert.NotEqual(new CacheKey("a").Options("o", options).Hash, new CacheKey("b").Options("o", options).Hash);
        Assert.NotEqual(Key(options), Key(new JsonObject { ["method"] = "percentile", ["percentile"] = 99.9 }));
        Assert.Equal(Key(options), Key(new JsonObject { ["method"] = "percentile", ["percentile"] = 99.99 }));
    }

    [Fact]
    public void A_budget_judged_on_the_samples_streamed_is_another_optimize_step()
    {
        var models = Path.Combine(TestPaths.RepoRoot, "models");
        var options = new Optimizer.Cli.Pipeline.OptimizeOptions
        {
            ModelPath = Path.Combine(models, "tiny_cnn.onnx"),
            OutDir = _dir.File("out"),
            Quantize = new Optimizer.Cli.Pipeline.QuantizeOptions { CalibrateDir = Path.Combine(models, "tiny_cnn_data", "calib") },
            Cache = new StepCache(_dir.File("cache"), TextWriter.Null),
        };
        var perSample = new Optimizer.Cli.Pipeline.PipelineValidation
        {
            DataDir = Path.Combine(models, "tiny_cnn_data", "validate"),
            Gates = [Optimizer.Runtime.Validation.Gate.Parse("cosine=0.99")],
        };
        var streamed = perSample with { FeedBack = Optimizer.Runtime.Validation.FeedBack.ParseList("stateN=state") };

        // the budget keeps other nodes float when its rounds are judged streamed: a cached model of the other kind must not be restored
        Assert.NotEqual(OptimizeStepCache.Open(options, perSample)!.Key.Hash, OptimizeStepCache.Open(options, streamed)!.Key.Hash);
        Assert.Equal(OptimizeStepCache.Open(options, perSample)!.Key.Hash, OptimizeStepCache.Open(options, perSample with { })!.Key.Hash);
    }
}
