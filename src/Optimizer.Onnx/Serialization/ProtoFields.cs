namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Sets optional (proto2) fields so that a value equal to what was read keeps the field's presence as it was: a
/// field absent in the file stays absent when the IR still holds the default, and an explicit default stays.
/// That is what makes an unchanged model come back byte-identical.
/// </summary>
internal static class ProtoFields
{
    public static void Sync(bool has, string current, string value, Action<string> set)
    {
        if (has ? current != value : value.Length != 0) set(value);
    }

    public static void Sync(bool has, long current, long value, Action<long> set)
    {
        if (has ? current != value : value != 0) set(value);
    }
}
