using System.CommandLine;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Commands;

/// <summary>The root command's <c>--emit triton REPO</c> options, and their reading into <see cref="TritonOptions"/>.</summary>
public sealed class TritonOptionSet
{
    private readonly Option<string[]> _emit = new("--emit")
    {
        HelpName = "triton REPO",
        Description = "Also write a Triton Inference Server model repository entry: REPO/<name>/config.pbtxt and REPO/<name>/<version>/model.onnx "
                      + "(model.plan with --engine); an existing model folder gets the next version.",
        Arity = new ArgumentArity(2, 2),
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string?> _name = new("--triton-name") { HelpName = "NAME", Description = "The Triton model name and folder (default: the model file's stem)." };

    private readonly Option<int?> _maxBatch = new("--triton-max-batch")
    {
        HelpName = "N",
        Description = $"max_batch_size, and the preferred batch size of the dynamic batcher (default: {TritonConfigBuilder.DefaultMaxBatch} for a model with a dynamic batch axis, 0 without one).",
    };

    private readonly Option<FileInfo?> _batchFrom = new("--triton-batch-from")
    {
        HelpName = "REPORT.json",
        Description = "The report.json of 'optimize bench --batch auto --max-p95 MS --report DIR': its chosen batch sets max_batch_size and the preferred "
                      + "batch size, and the budget its p95 leaves sets max_queue_delay_microseconds.",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _emit, _name, _maxBatch, _batchFrom }) command.Options.Add(option);
    }

    /// <summary>The options, checked; null without --emit (when the other --triton-* options are refused).</summary>
    public TritonOptions? Read(ParseResult parse, string modelPath)
    {
        if (parse.GetResult(_emit) is null || parse.GetValue(_emit) is not { Length: 2 } emit)
        {
            if (new Option[] { _name, _maxBatch, _batchFrom }.FirstOrDefault(o => parse.GetResult(o) is not null) is { } alone)
                throw new InvalidInputException($"{alone.Name} goes with --emit triton REPO (it configures the model written there)");
            return null;
        }
        if (emit[0] != "triton") throw new InvalidInputException($"--emit: unknown target '{emit[0]}'; the one there is: triton (--emit triton REPO)");
        if (string.IsNullOrWhiteSpace(emit[1])) throw new InvalidInputException("--emit triton: REPO is empty; give the model repository folder");
        var name = parse.GetValue(_name);
        if (name is not null) TritonRepository.CheckName(name, "--triton-name");
        else
        {
            name = Path.GetFileNameWithoutExtension(modelPath);
            TritonRepository.CheckName(name, "the model's file name");
        }
        if (parse.GetValue(_maxBatch) is < 1 and var max)
            throw new InvalidInputException($"--triton-max-batch {max}: give a batch size of at least 1 (a model without a batch axis gets max_batch_size 0 by itself)");
        var options = new TritonOptions
        {
            Repository = Path.GetFullPath(emit[1]),
            Name = name,
            MaxBatch = parse.GetValue(_maxBatch),
            BatchReport = parse.GetValue(_batchFrom)?.FullName,
        };
        TritonRepository.CheckRepository(options.Repository, options.Name);
        return options;
    }
}
