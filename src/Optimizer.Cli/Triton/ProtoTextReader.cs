using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Optimizer.Cli.Triton;

/// <summary>
/// Reads protobuf text format into a message, as Triton reads config.pbtxt (C++'s <c>TextFormat::Parse</c>): a field
/// name the schema does not have, a value of the wrong kind, an unknown enum name or a non-repeated field given twice is
/// an error naming the line. Accepts what that parser accepts for the fields used here: <c>name: value</c>,
/// <c>name { ... }</c> (or <c>&lt; ... &gt;</c>, with an optional ':'), lists <c>name: [a, b]</c>, '#' comments,
/// ',' or ';' between fields, and map entries as <c>{ key: .. value: .. }</c>.
/// </summary>
public static class ProtoTextReader
{
    public static T Parse<T>(string text) where T : IMessage<T>, new()
    {
        var message = new T();
        var tokens = new Tokens(text);
        ReadFields(message, tokens, end: null);
        return message;
    }

    private static void ReadFields(IMessage message, Tokens tokens, string? end)
    {
        var seen = new HashSet<int>();
        while (true)
        {
            var token = tokens.Next();
            if (token is null)
            {
                if (end is null) return;
                throw tokens.Error($"expected '{end}' before the end of the text");
            }
            if (end is not null && token.Text == end && !token.IsString) return;
            if (!token.IsIdentifier) throw tokens.Error($"expected a field name, not '{token.Text}'");
            var field = message.Descriptor.FindFieldByName(token.Text)
                ?? throw tokens.Error($"message type \"{message.Descriptor.FullName}\" has no field named \"{token.Text}\"");
            if (!field.IsRepeated && !seen.Add(field.FieldNumber))
                throw tokens.Error($"non-repeated field \"{field.Name}\" is specified multiple times");
            var isMessage = field.FieldType is FieldType.Message or FieldType.Group;
            var colon = tokens.Peek() is { IsString: false, Text: ":" };
            if (colon) tokens.Next();
            else if (!isMessage) throw tokens.Error($"expected ':' after \"{field.Name}\"");
            if (tokens.Peek() is { IsString: false, Text: "[" })
            {
                if (!field.IsRepeated) throw tokens.Error($"\"{field.Name}\" is not a repeated field; it takes one value, not a list");
                tokens.Next();
                if (tokens.Peek() is { IsString: false, Text: "]" }) tokens.Next();
                else
                    while (true)
                    {
                        ReadValue(message, field, tokens);
                        var separator = tokens.Next() ?? throw tokens.Error("expected ']' before the end of the text");
                        if (separator is { IsString: false, Text: "]" }) break;
                        if (separator is not { IsString: false, Text: "," }) throw tokens.Error($"expected ',' or ']', not '{separator.Text}'");
                    }
            }
            else ReadValue(message, field, tokens);
            if (tokens.Peek() is { IsString: false, Text: "," or ";" }) tokens.Next();
        }
    }

    private static void ReadValue(IMessage message, FieldDescriptor field, Tokens tokens)
    {
        var value = field.FieldType is FieldType.Message or FieldType.Group
            ? ReadMessage(NewMessage(field.MessageType), tokens)
            : ReadScalar(field, ElementType(message, field), tokens);
        if (message is MapEntry into)
        {
            into.Set(field.FieldNumber, value);
            return;
        }
        var accessor = field.Accessor;
        if (field.IsMap)
        {
            var entry = (MapEntry)value;
            var (keyField, valueField) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
            var map = (IDictionary)accessor.GetValue(message);
            map[entry.Get(1) ?? entry.Default(keyField)] = entry.Get(2) ?? entry.Default(valueField);
        }
        else if (field.IsRepeated) ((IList)accessor.GetValue(message)).Add(value);
        else accessor.SetValue(message, value);
    }

    private static IMessage ReadMessage(IMessage message, Tokens tokens)
    {
        var open = tokens.Next();
        var end = open switch
        {
            { IsString: false, Text: "{" } => "}",
            { IsString: false, Text: "<" } => ">",
            _ => throw tokens.Error($"expected '{{' to open \"{message.Descriptor.Name}\", not '{open?.Text ?? "the end of the text"}'"),
        };
        ReadFields(message, tokens, end);
        return message;
    }

    /// <summary>Map entry messages have no parser of their own in C#; they are read into a dynamic stand-in.</summary>
    private static IMessage NewMessage(MessageDescriptor type) =>
        type.GetOptions()?.MapEntry == true || type.Parser is null ? new MapEntry(type) : type.Parser.ParseFrom(ByteString.Empty);

    /// <summary>The CLR type of one value of the field (for enums, the generated enum type).</summary>
    private static Type ElementType(IMessage message, FieldDescriptor field)
    {
        if (message is MapEntry entry) return entry.ClrType(field);
        var value = field.Accessor.GetValue(message);
        return field.IsRepeated ? value.GetType().GetGenericArguments()[0] : value.GetType();
    }

    private static object ReadScalar(FieldDescriptor field, Type clrType, Tokens tokens)
    {
        var token = tokens.Next() ?? throw tokens.Error($"expected a value for \"{field.Name}\"");
        string Expect(string what) => throw tokens.Error($"expected {what} for \"{field.Name}\", not '{token.Text}'");
        if (field.FieldType is FieldType.String or FieldType.Bytes)
        {
            if (!token.IsString) Expect("a quoted string");
            var bytes = new List<byte>(token.Bytes!);
            while (tokens.Peek() is { IsString: true }) bytes.AddRange(tokens.Next()!.Bytes!); // adjacent strings concatenate
            return field.FieldType == FieldType.Bytes ? ByteString.CopyFrom(bytes.ToArray()) : Encoding.UTF8.GetString(bytes.ToArray());
        }
        if (token.IsString) Expect("a value, not a string,");
        var text = token.Text;
        switch (field.FieldType)
        {
            case FieldType.Bool:
                return text switch { "true" or "True" or "t" or "1" => true, "false" or "False" or "f" or "0" => false, _ => Expect("true or false") };
            case FieldType.Enum:
                if (field.EnumType.FindValueByName(text) is { } named) return Enum.ToObject(clrType, named.Number);
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && field.EnumType.FindValueByNumber(number) is not null)
                    return Enum.ToObject(clrType, number);
                return Expect($"one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}");
            case FieldType.Float or FieldType.Double:
                var real = text.TrimEnd('f', 'F') switch
                {
                    "inf" or "infinity" => double.PositiveInfinity,
                    "-inf" or "-infinity" => double.NegativeInfinity,
                    "nan" => double.NaN,
                    var t when double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => double.Parse(Expect("a number"), CultureInfo.InvariantCulture),
                };
                return field.FieldType == FieldType.Float ? (float)real : real;
            default:
                return Integer(field, text) ?? Expect(IntegerKind(field));
        }
    }

    private static object? Integer(FieldDescriptor field, string text)
    {
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        ulong magnitude;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!ulong.TryParse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude)) return null;
        }
        else if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude)) return null;
        var signed = field.FieldType is FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64;
        if (negative && !signed) return null;
        Int128 value = negative ? -(Int128)magnitude : magnitude;
        return field.FieldType switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => value >= int.MinValue && value <= int.MaxValue ? (int)value : null,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => value >= long.MinValue && value <= long.MaxValue ? (long)value : null,
            FieldType.UInt32 or FieldType.Fixed32 => value <= uint.MaxValue ? (uint)value : null,
            _ => (ulong)value,
        };
    }

    private static string IntegerKind(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => "a 32-bit integer",
        FieldType.UInt32 or FieldType.Fixed32 => "an unsigned 32-bit integer",
        FieldType.UInt64 or FieldType.Fixed64 => "an unsigned 64-bit integer",
        _ => "a 64-bit integer",
    };

    private sealed record Token(string Text, bool IsString, byte[]? Bytes = null)
    {
        public bool IsIdentifier => !IsString && Text.Length > 0 && (char.IsAsciiLetter(Text[0]) || Text[0] == '_');
    }

    /// <summary>The text's tokens: identifiers and numbers, quoted strings (C escapes) and single-character symbols.</summary>
    private sealed class Tokens(string text)
    {
        private int _at;
        private int _line = 1;
        private Token? _peeked;

        public Token? Peek() => _peeked ??= Read();

        public Token? Next()
        {
            var token = Peek();
            _peeked = null;
            return token;
        }

        public FormatException Error(string message) => new($"line {_line}: {message}");

        private Token? Read()
        {
            while (_at < text.Length)
            {
                var c = text[_at];
                if (c == '\n') _line++;
                if (char.IsWhiteSpace(c)) _at++;
                else if (c == '#') while (_at < text.Length && text[_at] != '\n') _at++;
                else break;
            }
            if (_at >= text.Length) return null;
            var first = text[_at];
            if (first is '"' or '\'') return ReadString(first);
            if ("{}[]<>:,;".Contains(first))
            {
                _at++;
                return new Token(first.ToString(), false);
            }
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '.' or '-' or '+')) _at++;
            if (_at == start) throw Error($"unexpected character '{first}'");
            return new Token(text[start.._at], false);
        }

        private Token ReadString(char quote)
        {
            var bytes = new List<byte>();
            _at++;
            while (true)
            {
                if (_at >= text.Length || text[_at] == '\n') throw Error("a string is not closed on its line");
                var c = text[_at++];
                if (c == quote) break;
                if (c != '\\')
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    continue;
                }
                if (_at >= text.Length) throw Error("a string ends in '\\'");
                var e = text[_at++];
                switch (e)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 'a': bytes.Add(7); break;
                    case 'b': bytes.Add(8); break;
                    case 'f': bytes.Add(12); break;
                    case 'v': bytes.Add(11); break;
                    case '\\' or '"' or '\'' or '?': bytes.Add((byte)e); break;
                    case 'x':
                        var hex = 0;
                        var hexStart = _at;
                        while (_at < text.Length && _at - hexStart < 2 && Uri.IsHexDigit(text[_at])) hex = hex * 16 + Convert.ToInt32(text[_at++].ToString(), 16);
                        if (_at == hexStart) throw Error("'\\x' is not followed by a hex digit");
                        bytes.Add((byte)hex);
                        break;
                    case >= '0' and <= '7':
                        var octal = e - '0';
                        for (var i = 0; i < 2 && _at < text.Length && text[_at] is >= '0' and <= '7'; i++) octal = octal * 8 + (text[_at++] - '0');
                        bytes.Add((byte)octal);
                        break;
                    default: throw Error($"unknown escape '\\{e}' in a string");
                }
            }
            return new Token(Encoding.UTF8.GetString(bytes.ToArray()), true, bytes.ToArray());
        }
    }

    /// <summary>A map entry (key, value) read before it is put in its map.</summary>
    private sealed class MapEntry(MessageDescriptor type) : IMessage
    {
        private readonly object?[] _values = new object?[3];

        public MessageDescriptor Descriptor => type;

        public Type ClrType(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.String => typeof(string),
            FieldType.Bool => typeof(bool),
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => typeof(int),
            FieldType.UInt32 or FieldType.Fixed32 => typeof(uint),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => typeof(long),
            FieldType.UInt64 or FieldType.Fixed64 => typeof(ulong),
            FieldType.Float => typeof(float),
            FieldType.Double => typeof(double),
            FieldType.Bytes => typeof(ByteString),
            _ => throw new NotSupportedException($"map values of {field.FieldType} are not read"),
        };

        public object? Get(int number) => _values[number];

        /// <summary>The value of a key or value the entry leaves out.</summary>
        public object Default(FieldDescriptor field) => field.FieldType switch
        {
            FieldType.Message => NewMessage(field.MessageType),
            FieldType.String => "",
            FieldType.Bytes => ByteString.Empty,
            _ => Activator.CreateInstance(ClrType(field))!,
        };

        public void Set(int number, object? value) => _values[number] = value;

        public void MergeFrom(CodedInputStream input) => throw new NotSupportedException();
        public void WriteTo(CodedOutputStream output) => throw new NotSupportedException();
        public int CalculateSize() => throw new NotSupportedException();
    }
}
