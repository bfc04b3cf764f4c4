using System.CommandLine;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Commands;

/// <summary><c>--feed-back OUTPUT=INPUT,...</c> of <c>validate</c> and of <c>optimize MODEL --validate DIR</c>.</summary>
internal static class FeedBackOption
{
    public static Option<string?> Create() => new("--feed-back")
    {
        HelpName = "OUTPUT=INPUT,...",
        Description = "Validate a recurrent model as it streams: the samples in order (by file name), and from the second on each model gets "
                      + "its own OUTPUT of the sample before as INPUT instead of the data's (silero VAD: stateN=state; an LSTM: hn=h,cn=c), "
                      + "so a quantized model's drift compounds as in use instead of being reset by every sample's FP32 state.",
    };

    public static IReadOnlyList<FeedBack> Read(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { } text ? FeedBack.ParseList(text) : [];
}
