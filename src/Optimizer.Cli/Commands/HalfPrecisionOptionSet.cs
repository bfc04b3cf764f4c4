using System.CommandLine;
using Optimizer.Cli.Pipeline;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The options only <c>--quantize fp16|bf16</c> reads (<c>--keep-io-types</c>, <c>--no-keep-io-types</c>), and the check
/// that the INT8-only options are not given with it. <c>--calibrate</c> and <c>--exclude</c> keep their meaning:
/// calibration data (for half precision: the range check) and nodes kept in float.
/// </summary>
public sealed class HalfPrecisionOptionSet
{
    private readonly Option<bool> _keepIo = new("--keep-io-types")
    {
        Description = "With --quantize fp16|bf16: the graph's float32 inputs and outputs stay float32, with casts inside (the default).",
    };

    private readonly Option<bool> _noKeepIo = new("--no-keep-io-types")
    {
        Description = "With --quantize fp16|bf16: the graph's float inputs and outputs become half too (callers then pass and get half tensors).",
    };

    public IEnumerable<Option> Options => [_keepIo, _noKeepIo];

    /// <summary>The first of these options given without --quantize fp16|bf16, for the caller's refusal.</summary>
    public Option? Stray(ParseResult parse) => Options.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });

    /// <param name="intOnly">The INT8-only options: refused with fp16/bf16.</param>
    public QuantizeOptions Read(ParseResult parse, string mode, IEnumerable<Option> intOnly, Func<QuantizeOptions> common)
    {
        if (intOnly.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } o)
            throw new InvalidInputException($"{o.Name} is an INT8 option; --quantize {mode} takes --calibrate (range check), --exclude and --keep-io-types/--no-keep-io-types");
        if (parse.GetValue(_keepIo) && parse.GetValue(_noKeepIo)) throw new InvalidInputException("--keep-io-types and --no-keep-io-types contradict each other; choose one");
        return common() with
        {
            Half = new HalfPrecisionOptions
            {
                Target = mode == "bf16" ? ElementType.BFloat16 : ElementType.Float16,
                KeepIoTypes = !parse.GetValue(_noKeepIo),
            },
        };
    }
}
