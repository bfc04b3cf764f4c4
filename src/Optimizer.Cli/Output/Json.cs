using System.Text.Json;
using System.Text.Json.Serialization;

namespace Optimizer.Cli.Output;

/// <summary>The JSON style of every machine-readable output: camelCase, indented, enums as strings.</summary>
public static class Json
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A layer the quantization did not touch has an infinite SQNR ("Infinity").
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
