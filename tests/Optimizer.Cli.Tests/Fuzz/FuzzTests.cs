using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Fuzz;

/// <summary>
/// Seeded mutants (<see cref="ModelMutator"/>) of the shared models and of ONNX's backend-suite models through
/// <c>inspect</c>, <c>optimize</c> and <c>bench</c>: each command exits 0, or 2 with one line of error; never 70, never
/// a hang, never a partial output folder. The default run tries a couple of hundred mutants; <c>Category=Fuzz</c> ten
/// times as many (<c>dotnet cake --target=TestFuzz</c>). A failure names the seed: <c>ModelMutator.Mutate(source, seed)</c>
/// gives the mutant again.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    /// <summary>Far more than any command takes on these models: only a hang reaches it.</summary>
    private static readonly TimeSpan PerCommand = TimeSpan.FromSeconds(60);

    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task Mutants_exit_0_or_2_with_one_line_and_leave_no_partial_output() => Run(firstSeed: 1, count: 200, maxSourceBytes: 2 << 20);

    [Fact]
    [Trait("Category", "Fuzz")]
    public Task Many_more_mutants() => Run(firstSeed: 100_000, count: 2000, maxSourceBytes: 32 << 20);

    private async Task Run(int firstSeed, int count, long maxSourceBytes)
    {
        var sources = Sources(maxSourceBytes);
        Assert.NotEmpty(sources);
        var failures = new List<string>();
        for (var seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var source = sources[new Random(seed).Next(sources.Count)];
            var mutant = ModelMutator.Mutate(File.ReadAllBytes(source), seed);
            var model = _dir.File($"mutant-{seed}.onnx");
            File.WriteAllBytes(model, mutant.Bytes);
            var what = $"seed {seed} ({Path.GetRelativePath(Path.GetDirectoryName(Path.GetDirectoryName(source))!, source)}, {mutant.Description})";
            var output = _dir.File($"out-{seed}");
            foreach (var args in new[] { new[] { "inspect", model }, [model, "-o", output], ["bench", model, "--warmup", "0", "--runs", "1"] })
            {
                var command = args[0] == model ? "optimize" : args[0];
                var run = Task.Run(() => CliRunner.Run(args));
                if (await Task.WhenAny(run, Task.Delay(PerCommand)) != run)
                    Assert.Fail($"{what}: '{command}' did not finish in {PerCommand.TotalSeconds} s");
                if (Check(run.Result, command == "optimize" ? output : null) is { } failure) failures.Add($"{what}: {command}: {failure}");
            }
            File.Delete(model);
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failure(s):\n{string.Join("\n", failures.Take(30))}");
    }

    private static string? Check(CliRunner.Result result, string? output)
    {
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode is not (0 or 2)) return $"exit {result.ExitCode}: {string.Join(" | ", lines.Take(3))}";
        if (result.Stderr.Contains("   at ", StringComparison.Ordinal)) return "a stack trace";
        if (result.ExitCode == 2 && (lines.Length != 1 || !lines[0].StartsWith("error: ", StringComparison.Ordinal)))
            return $"exit 2 without exactly one error line: {string.Join(" | ", lines.Take(4))}";
        if (output is null) return null;
        if (result.ExitCode == 2) return Directory.Exists(output) ? $"refused, but left {output}" : null;
        var entries = Directory.GetFileSystemEntries(output, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName).ToList();
        if (!entries.Contains("model.onnx") || !entries.Contains("manifest.json")) return $"exit 0, but OUT holds {string.Join(", ", entries)}";
        return entries.FirstOrDefault(e => e!.StartsWith(".staging-", StringComparison.Ordinal) || e.EndsWith(".tmp", StringComparison.Ordinal)) is { } left
            ? $"exit 0, but left {left}"
            : null;
    }

    /// <summary>The shared models and the backend suite's, up to a size (so the default run stays short).</summary>
    private static List<string> Sources(long maxBytes) =>
        TestPaths.SharedModelFiles().Concat(TestPaths.BackendModels()).Where(f => new FileInfo(f).Length <= maxBytes).ToList();
}
