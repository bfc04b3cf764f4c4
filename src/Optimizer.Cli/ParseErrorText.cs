using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Optimizer.Cli;

/// <summary>
/// System.CommandLine's parse errors as one line each, naming the option: "Cannot parse argument 'abc' for option
/// '--opset' as expected type 'System.Nullable`1[System.Int64]'" becomes "--opset: 'abc' is not a whole number", and
/// the several lines of "not recognized. Must be one of:" become one.
/// </summary>
public static partial class ParseErrorText
{
    /// <summary>
    /// Every error of a parse, each described; an unknown option gets the nearest known one ("did you mean"), and the
    /// value that followed it (which then looked like a stray argument) is not reported again.
    /// </summary>
    public static IEnumerable<string> DescribeAll(ParseResult parse)
    {
        var afterUnknownOption = false;
        foreach (var error in parse.Errors)
        {
            var token = Unrecognized().Match(error.Message) is { Success: true } m ? m.Groups["token"].Value : null;
            if (token is not null && !token.StartsWith('-') && afterUnknownOption)
            {
                afterUnknownOption = false;
                continue;
            }
            afterUnknownOption = token?.StartsWith("--", StringComparison.Ordinal) == true;
            if (afterUnknownOption)
            {
                var known = parse.CommandResult.Command.Options.Concat(parse.RootCommandResult.Command.Options.Where(o => o.Recursive))
                    .SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
                var closest = Suggestions.Closest(token!, known);
                yield return closest is null ? $"unknown option '{token}'" : $"unknown option '{token}'; did you mean '{closest}'?";
            }
            else yield return Describe(error);
        }
    }

    public static string Describe(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        var match = CannotParse().Match(error.Message);
        if (match.Success)
            return $"{match.Groups["option"].Value}: '{match.Groups["value"].Value}' is not {Expected(option?.ValueType)}";
        var lines = error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = (lines.Length <= 1 ? lines.FirstOrDefault() ?? "" : $"{lines[0]} {string.Join(", ", lines[1..])}").TrimEnd('.');
        return option is not null && !text.Contains(option.Name, StringComparison.Ordinal) ? $"{option.Name}: {text}" : text;
    }

    private static string Expected(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (type is null) return "a valid value";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()));
        if (type == typeof(int) || type == typeof(long)) return "a whole number";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        return $"a valid {type.Name}";
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type")]
    private static partial Regex CannotParse();
}
