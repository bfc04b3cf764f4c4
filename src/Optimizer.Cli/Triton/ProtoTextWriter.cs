using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Optimizer.Cli.Triton;

/// <summary>
/// Protobuf text format (what C++'s <c>TextFormat::Print</c> writes and Triton reads as config.pbtxt) for any message,
/// written from the message's descriptor: Google.Protobuf for C# has a JSON formatter but no text-format printer.
/// Fields come in declaration order; proto3 scalars at their default value are left out (as the C++ printer does),
/// message fields are written when set (an empty one as <c>name {</c> <c>}</c>), oneof members when they are the
/// case set, enums by name, maps as repeated <c>{ key: .. value: .. }</c> entries in key order.
/// </summary>
public static class ProtoTextWriter
{
    public static string Write(IMessage message)
    {
        var text = new StringBuilder();
        WriteFields(message, text, 0);
        return text.ToString();
    }

    private static void WriteFields(IMessage message, StringBuilder text, int depth)
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var entries = Entries((IDictionary)value).OrderBy(e => e.Key, Comparer<object>.Create(CompareKeys));
                var (keyField, valueField) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
                foreach (var entry in entries)
                {
                    Open(text, depth, field.Name);
                    Line(text, depth + 1, keyField.Name, Scalar(keyField, entry.Key));
                    if (valueField.FieldType == FieldType.Message)
                    {
                        Open(text, depth + 1, valueField.Name);
                        WriteFields((IMessage)entry.Value!, text, depth + 2);
                        Close(text, depth + 1);
                    }
                    else Line(text, depth + 1, valueField.Name, Scalar(valueField, entry.Value!));
                    Close(text, depth);
                }
            }
            else if (field.IsRepeated)
                foreach (var item in (IList)value) WriteOne(field, item, text, depth);
            else if (IsSet(message, field, value))
                WriteOne(field, value, text, depth);
        }
    }

    private static List<DictionaryEntry> Entries(IDictionary map)
    {
        var entries = new List<DictionaryEntry>();
        var enumerator = map.GetEnumerator();
        while (enumerator.MoveNext()) entries.Add(enumerator.Entry);
        return entries;
    }

    private static bool IsSet(IMessage message, FieldDescriptor field, object? value)
    {
        if (field.RealContainingOneof is { } oneof) return oneof.Accessor.GetCaseFieldDescriptor(message) == field;
        if (field.FieldType is FieldType.Message or FieldType.Group) return value is not null;
        if (field.HasPresence) return field.Accessor.HasValue(message);
        return value switch
        {
            null => false,
            string s => s.Length > 0,
            ByteString b => !b.IsEmpty,
            bool b => b,
            float f => f != 0 || float.IsNegative(f),
            double d => d != 0 || double.IsNegative(d),
            Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) != 0,
            IConvertible c => Convert.ToDecimal(c, CultureInfo.InvariantCulture) != 0,
            _ => true,
        };
    }

    private static void WriteOne(FieldDescriptor field, object value, StringBuilder text, int depth)
    {
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            Open(text, depth, field.Name);
            WriteFields((IMessage)value, text, depth + 1);
            Close(text, depth);
        }
        else Line(text, depth, field.Name, Scalar(field, value));
    }

    /// <summary>One scalar in text-format syntax: strings quoted with C escapes, enums by name, floats round-trip.</summary>
    internal static string Scalar(FieldDescriptor field, object value) => field.FieldType switch
    {
        FieldType.String => Quote(Encoding.UTF8.GetBytes((string)value)),
        FieldType.Bytes => Quote(((ByteString)value).ToByteArray()),
        FieldType.Bool => (bool)value ? "true" : "false",
        FieldType.Enum => field.EnumType.FindValueByNumber(Convert.ToInt32(value, CultureInfo.InvariantCulture))?.Name
                          ?? Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        FieldType.Float => Real((float)value),
        FieldType.Double => Real((double)value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    private static string Real(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Real(float value) =>
        float.IsNaN(value) ? "nan" : float.IsPositiveInfinity(value) ? "inf" : float.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A double-quoted string of UTF-8 bytes: printable ASCII as is, quotes, backslashes and the rest escaped in octal.</summary>
    private static string Quote(byte[] bytes)
    {
        var text = new StringBuilder("\"");
        foreach (var b in bytes)
            text.Append(b switch
            {
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                (byte)'\'' => "\\'",
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                (byte)'\t' => "\\t",
                < 0x20 or >= 0x7f => "\\" + Convert.ToString(b, 8).PadLeft(3, '0'),
                _ => ((char)b).ToString(),
            });
        return text.Append('"').ToString();
    }

    private static int CompareKeys(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (IComparable x, _) => x.CompareTo(b),
        _ => 0,
    };

    private static void Line(StringBuilder text, int depth, string name, string value) =>
        text.Append(' ', depth * 2).Append(name).Append(": ").Append(value).Append('\n');

    private static void Open(StringBuilder text, int depth, string name) => text.Append(' ', depth * 2).Append(name).Append(" {\n");

    private static void Close(StringBuilder text, int depth) => text.Append(' ', depth * 2).Append("}\n");
}
