using System.Text.RegularExpressions;
using Optimizer.Cli.Zoo;
using Optimizer.TestKit;
using YamlDotNet.RepresentationModel;

namespace Optimizer.Cli.Tests.Zoo;

/// <summary>
/// The shipped CI matrix workflow (tools/ci/zoo-matrix.yml) and Kubernetes Indexed Job (tools/k8s/zoo-indexed-job.yaml):
/// each parses as YAML, its command lines parse with the tool's own parser, the N of its --shard agrees with the
/// matrix or the completions, and the folders it uploads or merges are the ones the tool and the cake target write.
/// </summary>
public class ZooDeploymentExamplesTests
{
    private static readonly string Workflow = Path.Combine(TestPaths.RepoRoot, "tools", "ci", "zoo-matrix.yml");
    private static readonly string IndexedJob = Path.Combine(TestPaths.RepoRoot, "tools", "k8s", "zoo-indexed-job.yaml");

    private static List<YamlMappingNode> Documents(string file)
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(file);
        yaml.Load(reader);
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => ((YamlMappingNode)n).Children[new YamlScalarNode(key)]);

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    /// <summary>No parse errors from the tool's own command tree.</summary>
    private static void AssertParses(IReadOnlyList<string> args)
    {
        var parse = CommandLineApp.BuildRoot().Parse(args.ToArray());
        Assert.True(parse.Errors.Count == 0, $"{string.Join(" ", args)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    /// <summary>What the cake target Zoo writes: its folder (uploaded) and the report's folder in it.</summary>
    private static (string Folder, string Report) CakeZooFolders()
    {
        var cake = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "build.cake"));
        var folder = Regex.Match(cake, @"Argument\(""zoo-dir"", ""([^""]+)""\)").Groups[1].Value;
        var report = Regex.Match(cake, @"Path\.Combine\(zooDir, ""([^""]+)""\)").Groups[1].Value;
        Assert.NotEqual("", folder);
        Assert.NotEqual("", report);
        Assert.Contains("\"--report\").AppendQuoted(report)", cake);
        return (folder, report);
    }

    [Fact]
    public void TheCiMatrixRunsEveryShardOnceAndMergesTheFoldersItUploads()
    {
        var root = Assert.Single(Documents(Workflow));
        var shardJob = At(root, "jobs", "shard");
        var matrix = ((YamlSequenceNode)At(shardJob, "strategy", "matrix", "shard")).Select(n => ((YamlScalarNode)n).Value!).ToList();
        var steps = ((YamlSequenceNode)At(shardJob, "steps")).Cast<YamlMappingNode>().ToList();
        var run = steps.Select(s => s.Children.TryGetValue(new YamlScalarNode("run"), out var r) ? ((YamlScalarNode)r).Value! : "").Single(r => r.Contains("--target=Zoo"));
        var zooFile = Regex.Match(run, @"--zoo=(\S+)").Groups[1].Value;

        // The shard argument, with each matrix value in it, is the tool's: N is the matrix's size, each index once.
        var shards = matrix.Select(v => Shard.Parse(Regex.Match(run.Replace("${{ matrix.shard }}", v), @"--shard=(\S+)").Groups[1].Value, null)).ToList();
        Assert.All(shards, s => Assert.Equal(matrix.Count, s.Count));
        Assert.Equal(Enumerable.Range(0, matrix.Count), shards.Select(s => s.Index).Order());
        Assert.NotEmpty(Pipeline.PipelineFile.Read(Path.Combine(TestPaths.RepoRoot, zooFile), zooFile));

        // It uploads the folder the cake target fills, under a name per shard.
        var (folder, report) = CakeZooFolders();
        var upload = steps.Single(s => s.Children.TryGetValue(new YamlScalarNode("uses"), out var u) && ((YamlScalarNode)u).Value!.StartsWith("actions/upload-artifact"));
        Assert.Equal(folder, Text(upload, "with", "path").TrimEnd('/'));
        var artifactName = Text(upload, "with", "name");

        // The merge job reads each shard's report where the download puts it, and publishes what merge-reports writes.
        var mergeSteps = ((YamlSequenceNode)At(root, "jobs", "merge", "steps")).Cast<YamlMappingNode>().ToList();
        var download = mergeSteps.Single(s => s.Children.TryGetValue(new YamlScalarNode("uses"), out var u) && ((YamlScalarNode)u).Value!.StartsWith("actions/download-artifact"));
        var downloaded = Text(download, "with", "path");
        Assert.Equal(artifactName.Replace("${{ matrix.shard }}", "*"), Text(download, "with", "pattern"));
        var merge = mergeSteps.Select(s => s.Children.TryGetValue(new YamlScalarNode("run"), out var r) ? ((YamlScalarNode)r).Value! : "").Single(r => r.Contains("merge-reports"));
        var args = merge.Trim().Split(" -- ", 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        AssertParses(args);
        var output = args[Array.IndexOf(args, "-o") + 1];
        Assert.Equal(matrix.Select(v => $"{downloaded}/{artifactName.Replace("${{ matrix.shard }}", v)}/{report}"), args.Skip(1).TakeWhile(a => a != "-o"));
        Assert.Contains($"{output}/{ZooReport.MarkdownFile}", string.Join("\n", mergeSteps.Select(s => s.Children.TryGetValue(new YamlScalarNode("run"), out var r) ? ((YamlScalarNode)r).Value : "")));
        var published = mergeSteps.Last(s => s.Children.TryGetValue(new YamlScalarNode("uses"), out var u) && ((YamlScalarNode)u).Value!.StartsWith("actions/upload-artifact"));
        Assert.Equal(output, Text(published, "with", "path").TrimEnd('/'));
    }

    [Fact]
    public void TheIndexedJobsCompletionsAreTheShardsAndItsReportsAreWhatTheMergeReads()
    {
        var documents = Documents(IndexedJob);
        var job = documents.Single(d => Text(d, "kind") == "Job");
        var config = documents.Single(d => Text(d, "kind") == "ConfigMap");
        Assert.Equal("Indexed", Text(job, "spec", "completionMode"));
        var completions = int.Parse(Text(job, "spec", "completions"));
        Assert.InRange(int.Parse(Text(job, "spec", "parallelism")), 1, completions);
        var container = (YamlMappingNode)((YamlSequenceNode)At(job, "spec", "template", "spec", "containers")).Single();
        Assert.Equal("optimize", Assert.Single((YamlSequenceNode)At(container, "command")).ToString());
        var args = ((YamlSequenceNode)At(container, "args")).Select(n => ((YamlScalarNode)n).Value!).ToList();

        // In pod i (JOB_COMPLETION_INDEX=i, which Kubernetes also expands in $(...) of args) the tool runs slice i of completions.
        var reports = new List<string>();
        for (var i = 0; i < completions; i++)
        {
            var podArgs = args.Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", i.ToString())).ToList();
            AssertParses(podArgs);
            Assert.Equal(new Shard(i, completions), Shard.Parse(podArgs[podArgs.IndexOf("--shard") + 1], i.ToString()));
            reports.Add(podArgs[podArgs.IndexOf("--report") + 1]);
        }
        Assert.Equal(completions, reports.Distinct().Count());

        // The zoo file is the ConfigMap's, mounted where the args name it; reports and outputs land on the results volume.
        var mounts = ((YamlSequenceNode)At(container, "volumeMounts")).Cast<YamlMappingNode>().ToDictionary(m => Text(m, "name"), m => Text(m, "mountPath"));
        var zooFile = args[1];
        Assert.Equal(mounts["zoo"], Path.GetDirectoryName(zooFile));
        var zoo = Text(config, "data", Path.GetFileName(zooFile));
        Assert.Contains($"output: {mounts["results"]}/out/{{model}}", zoo);
        Assert.All(reports, r => Assert.StartsWith(mounts["results"] + "/", r));

        // The merge the header gives reads exactly those report folders.
        var merge = File.ReadLines(IndexedJob).Single(l => l.Contains("optimize merge-reports")).TrimStart('#', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        AssertParses(merge);
        Assert.Equal(reports, merge.Skip(1).TakeWhile(a => a != "-o"));
    }
}
