using System.Security.Cryptography;
using System.Text;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// DIR/zoo-report.json: one row per job of a zoo run (or of one shard of it, or of shards merged), with the zoo's
/// identity so that shards of different zoos are never merged. Paths are relative to the pipeline file's folder and
/// nothing depends on the machine or the time except the timing fields (<see cref="ZooJobResult.Seconds"/>,
/// <see cref="ZooJobResult.Speedup"/>), so the same zoo gives the same report on any machine and in any number of
/// shards.
/// </summary>
/// <param name="Shard">The slice this run ran; null for a report merged from shards.</param>
/// <param name="MergedShards">For a merged report: how many shard reports it joins.</param>
/// <param name="ExitCode">The highest exit code of the jobs (0 when all passed).</param>
public sealed record ZooReport(ZooIdentity Zoo, Shard? Shard, int? MergedShards, int ExitCode, ZooSummary Summary, IReadOnlyList<ZooJobResult> Jobs)
{
    public const string JsonFile = "zoo-report.json";
    public const string MarkdownFile = "zoo-report.md";
    public const string JUnitFile = "zoo-junit.xml";

    /// <summary>The fields that measure time, and so differ run to run.</summary>
    public static readonly IReadOnlyList<string> TimingFields = ["seconds", "speedup"];

    /// <summary>
    /// DIR/zoo-report.json without what differs between runs of the same zoo: the timing fields, and how it was split
    /// into shards. Two such texts are equal when the runs gave the same results, however they were sharded.
    /// </summary>
    public static string Untimed(string dir)
    {
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, JsonFile)))!.AsObject();
        report.Remove("shard");
        report.Remove("mergedShards");
        foreach (var job in report["jobs"]!.AsArray())
            foreach (var field in TimingFields)
                job!.AsObject().Remove(field);
        return report.ToJsonString();
    }

    public static ZooReport Create(ZooIdentity zoo, Shard? shard, int? mergedShards, IReadOnlyList<ZooJobResult> jobs) =>
        new(zoo, shard, mergedShards, jobs.Select(j => j.ExitCode ?? 0).DefaultIfEmpty(0).Max(), ZooSummary.Of(jobs), jobs);

    /// <summary>Reads DIR/zoo-report.json; a missing or unreadable file is bad input naming it.</summary>
    public static ZooReport Read(string dir)
    {
        var file = Path.Combine(dir, JsonFile);
        if (!File.Exists(file)) throw new InvalidInputException($"{dir}: no {JsonFile} (the folder 'optimize run ZOO --report DIR' writes)");
        try
        {
            var report = System.Text.Json.JsonSerializer.Deserialize<ZooReport>(File.ReadAllText(file), Output.Json.Options);
            if (report?.Zoo?.Id is null || report.Jobs is null || report.Zoo.Jobs is null) throw new InvalidInputException($"{file}: not a zoo report (no zoo.id or jobs)");
            return report;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidInputException($"{file}: not a zoo report: {e.Message}");
        }
    }
}

/// <summary>The zoo a report belongs to: every job name of the file in its order, and a hash of the sorted names.</summary>
public sealed record ZooIdentity(string Id, IReadOnlyList<string> Jobs)
{
    public static ZooIdentity Of(IReadOnlyList<string> names) =>
        new(Hash(names), names);

    /// <summary>sha256 of the job names in ordinal order, one per line.</summary>
    public static string Hash(IEnumerable<string> names) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", names.Order(StringComparer.Ordinal)) + "\n")));
}

/// <param name="NotChecked">Jobs that finished and validated without a gate: counted apart from the passed ones.</param>
public sealed record ZooSummary(int Jobs, int Passed, int Failed, int NotRun, int NotChecked = 0)
{
    public static ZooSummary Of(IReadOnlyList<ZooJobResult> jobs) =>
        new(jobs.Count, jobs.Count(j => j.ExitCode == 0 && j.Status != ZooJobResult.NotChecked), jobs.Count(j => j.ExitCode is > 0), jobs.Count(j => j.ExitCode is null),
            jobs.Count(j => j.Status == ZooJobResult.NotChecked));

    /// <summary>"P of N jobs passed, [C not checked (validated without a gate), ]F failed, R not run".</summary>
    public string Describe() =>
        $"{Passed} of {Jobs} jobs passed, {(NotChecked > 0 ? $"{NotChecked} not checked (validated without a gate), " : "")}{Failed} failed, {NotRun} not run";
}

/// <summary>One job's row.</summary>
/// <param name="Model">The model, relative to the pipeline file's folder.</param>
/// <param name="ExitCode">The job's exit code; null when it did not run (<c>--fail-fast</c> after a failure, or cancelled).</param>
/// <param name="Status">passed, not-checked (exit 0, validated without a gate), gate-failed, bad-input, tool-failed, cancelled, internal-error or not-run.</param>
/// <param name="Output">The job's output folder, relative to the pipeline file's folder.</param>
/// <param name="ModelBytes">OUT/model.onnx (and its external data) as this run wrote it.</param>
/// <param name="EngineBytes">OUT/model.plan when the job built an engine.</param>
/// <param name="Cosine">The lowest cosine similarity over the outputs in the job's validation.</param>
/// <param name="Top1">The lowest top-1 agreement over the outputs in the job's validation.</param>
/// <param name="GatesPassed">Whether the validation's gates held.</param>
/// <param name="QuantizedNodes">Nodes quantized to INT8 (or, for fp16/bf16, converted).</param>
/// <param name="Speedup">The validation's speed-up of the optimized model (a timing field).</param>
/// <param name="Seconds">The job's wall time (a timing field).</param>
/// <param name="Message">The job's last 'error:' line, when it failed with one.</param>
public sealed record ZooJobResult(
    string Name, string Model, int? ExitCode, string Status, string Output, long? ModelBytes, long? EngineBytes,
    double? Cosine, double? Top1, bool? GatesPassed, int? QuantizedNodes, double? Speedup, double? Seconds, string? Message)
{
    /// <summary>The status of a job that exited 0 but whose validation had no gate: it checked nothing.</summary>
    public const string NotChecked = "not-checked";

    /// <param name="nothingChecked">The job's validation was given no gate (its report says "checked": false).</param>
    public static string StatusOf(int? exitCode, bool nothingChecked = false) => exitCode switch
    {
        null => "not-run",
        ExitCodes.Success when nothingChecked => NotChecked,
        ExitCodes.Success => "passed",
        ExitCodes.GateFailed => "gate-failed",
        ExitCodes.InvalidInput => "bad-input",
        ExitCodes.ExternalToolFailed => "tool-failed",
        ExitCodes.Cancelled => "cancelled",
        _ => "internal-error",
    };
}
