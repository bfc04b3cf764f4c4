using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Optimizer.Cli;

/// <summary>
/// Help for subcommands without the root's MODEL argument. System.CommandLine lists a parent's arguments in a
/// subcommand's usage and arguments ("optimize &lt;MODEL&gt; inspect &lt;MODEL&gt;"), which is wrong here: the root's
/// MODEL belongs to the pipeline only. Subcommands get this plain rendering; the root keeps the library's own help.
/// </summary>
internal static class HelpLayout
{
    public static void Install(RootCommand root)
    {
        NamePlaceholders(root);
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction original) help.Action = new SubcommandHelpAction(original);
    }

    private sealed class SubcommandHelpAction(HelpAction original) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            if (parse.CommandResult.Command is RootCommand) return original.Invoke(parse);
            Write(parse.CommandResult.Command, parse.InvocationConfiguration.Output);
            return 0;
        }
    }

    internal static void Write(Command command, TextWriter output)
    {
        var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
        var options = command.Options.Where(o => !o.Hidden)
            .Concat(Ancestors(command).SelectMany(c => c.Options).Where(o => o.Recursive && !o.Hidden)).Distinct().ToList();
        var subcommands = command.Subcommands.Where(c => !c.Hidden).ToList();

        output.WriteLine("Description:");
        output.WriteLine("  " + command.Description);
        output.WriteLine();
        var usage = new[] { "optimize", command.Name }.Concat(arguments.Select(Label));
        if (subcommands.Count > 0) usage = usage.Append("[command]");
        if (options.Count > 0) usage = usage.Append("[options]");
        output.WriteLine("Usage:");
        output.WriteLine("  " + string.Join(" ", usage));
        Section(output, "Arguments:", arguments.Select(a => (Label(a), a.Description ?? "")));
        Section(output, "Options:", options.Select(o => (OptionLabel(o), Describe(o))));
        Section(output, "Commands:", subcommands.Select(c => (c.Name, c.Description ?? "")));
    }

    /// <summary>
    /// One style of value placeholder in every help text: an option that does not name its own gets one from what it
    /// holds (&lt;FILE&gt;, &lt;DIR&gt;, &lt;N&gt;, &lt;X&gt;) or, for text, from its name in capitals (&lt;SHAPES&gt;), never the
    /// lower-case option name the library would print.
    /// </summary>
    internal static void NamePlaceholders(Command command)
    {
        foreach (var option in command.Options.Where(o => o.HelpName is null && o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool)))
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            option.HelpName = type == typeof(FileInfo) ? "FILE"
                : type == typeof(DirectoryInfo) ? "DIR"
                : type == typeof(int) || type == typeof(long) ? "N"
                : type == typeof(double) || type == typeof(float) ? "X"
                : option.Name.TrimStart('-').ToUpperInvariant();
        }
        foreach (var sub in command.Subcommands) NamePlaceholders(sub);
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        foreach (var parent in command.Parents.OfType<Command>())
        {
            yield return parent;
            foreach (var above in Ancestors(parent)) yield return above;
        }
    }

    private static string Label(Argument argument)
    {
        var name = $"<{argument.HelpName ?? argument.Name}>";
        return argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name;
    }

    private static string OptionLabel(Option option)
    {
        var names = string.Join(", ", option.Aliases.Order(StringComparer.Ordinal).Where(a => a.Length <= 2 && a.StartsWith('-')).Append(option.Name));
        var takesValue = option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool);
        return takesValue ? $"{names} <{option.HelpName ?? option.Name.TrimStart('-')}>" : names;
    }

    private static string Describe(Option option)
    {
        var text = option.Description ?? "";
        if (option.Required) text += " (required)";
        // Flags and lists say their default in words; a single value shows it as the library's help does.
        var value = option.HasDefaultValue && option.ValueType != typeof(bool) ? option.GetDefaultValue() : null;
        // Defaults in the spelling the option accepts: [default: auto], not the enum's Auto.
        if (value is Enum) value = value.ToString()!.ToLowerInvariant();
        if (value is string or (not null and not IEnumerable)) text += $" [default: {value}]";
        return text;
    }

    private static void Section(TextWriter output, string title, IEnumerable<(string Left, string Right)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0) return;
        output.WriteLine();
        output.WriteLine(title);
        var width = list.Max(r => r.Left.Length) + 2;
        foreach (var (left, right) in list) output.WriteLine(("  " + left.PadRight(width) + right).TrimEnd());
    }
}
