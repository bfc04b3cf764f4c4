using System.CommandLine;
using System.Globalization;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>--device N</c> and <c>--provider-option KEY=VALUE</c> (repeatable): the GPU device and ONNX Runtime's own options
/// of the cuda and tensorrt providers, by ONNX Runtime's key names. Everything is checked before any provider library
/// loads: an unknown key (with the nearest known one), a bad value, or options for a provider not chosen are exit 2.
/// </summary>
public sealed class ProviderOptionSet
{
    public Option<int?> Device { get; } = new("--device") { HelpName = "N", Description = "GPU device id of the cuda and tensorrt providers (default 0)." };

    public Option<string[]> Options { get; } = new("--provider-option")
    {
        HelpName = "KEY=VALUE",
        Description = "An option of ONNX Runtime's cuda or tensorrt provider by its own key name, repeatable: e.g. cudnn_conv_algo_search=HEURISTIC, " +
                      "trt_fp16_enable=1, trt_int8_enable=1, trt_engine_cache_path=DIR, trt_timing_cache_path=DIR (cache folders are made when missing).",
    };

    public void AddTo(Command command)
    {
        command.Add(Device);
        command.Add(Options);
    }

    /// <summary>
    /// <paramref name="settings"/> on the provider asked for (<paramref name="requested"/>: cpu, cuda, tensorrt, or auto,
    /// resolved with its line on <paramref name="stderr"/>), with the device and options given, all checked before any
    /// provider library loads. Values are kept in the form ONNX Runtime reads (flags as 0/1, cache folders as full paths).
    /// </summary>
    public SessionSettings Apply(ParseResult parse, string requested, SessionSettings settings, TextWriter stderr)
    {
        var device = parse.GetValue(Device);
        var options = Check(device, parse.GetValue(Options) ?? [], requested);
        var provider = requested switch { "cuda" => ExecutionProvider.Cuda, "tensorrt" => ExecutionProvider.TensorRt, _ => ExecutionProvider.Cpu };
        if (requested == "auto")
        {
            (provider, var note) = ProviderChoice.Auto(device ?? 0);
            stderr.WriteLine(note);
            CheckChosen(provider, device, options);
        }
        return settings with { Provider = provider, DeviceId = device ?? 0, ProviderOptions = options };
    }

    /// <summary>Refuses --device and --provider-option where no ONNX Runtime session runs (<paramref name="where"/> says why).</summary>
    public void RefuseWith(ParseResult parse, string where)
    {
        var given = parse.GetValue(Device) is not null ? "--device" : (parse.GetValue(Options) ?? []).Length > 0 ? "--provider-option" : null;
        if (given is not null) throw new InvalidInputException($"{given} sets ONNX Runtime's cuda and tensorrt providers; {where}");
    }

    /// <summary>The options given, checked for <paramref name="requested"/> (auto: against both GPU providers' keys).</summary>
    public static IReadOnlyDictionary<string, string> Check(int? device, IReadOnlyList<string> given, string requested)
    {
        if (requested == "cpu" && (device is not null || given.Count > 0))
            throw new InvalidInputException($"{(device is not null ? "--device" : "--provider-option")} sets the cuda and tensorrt providers; --provider cpu takes none (choose --provider cuda, tensorrt or auto)");
        if (device is < 0) throw new InvalidInputException("--device must be 0 or more");
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in given)
        {
            var equals = text.IndexOf('=');
            if (equals <= 0)
                throw new InvalidInputException($"--provider-option '{text}': expected KEY=VALUE, e.g. cudnn_conv_algo_search=HEURISTIC");
            var (key, value) = (text[..equals].Trim(), text[(equals + 1)..].Trim());
            var option = Known(key);
            if (ProviderOptionCatalog.Owner(key) == ExecutionProvider.TensorRt && requested == "cuda")
                throw new InvalidInputException($"--provider-option {key} is an option of the tensorrt provider; --provider cuda does not take it");
            if (!options.TryAdd(key, Value(option, value)))
                throw new InvalidInputException($"--provider-option {key} is given twice");
        }
        CacheSwitch(options, "trt_engine_cache_path", "trt_engine_cache_enable");
        CacheSwitch(options, "trt_timing_cache_path", "trt_timing_cache_enable");
        return options;
    }

    /// <summary>After <c>--provider auto</c> chose: refuses options for a provider it did not choose (exit 2).</summary>
    public static void CheckChosen(ExecutionProvider chosen, int? device, IReadOnlyDictionary<string, string> options)
    {
        var name = chosen.ToString().ToLowerInvariant();
        if (chosen == ExecutionProvider.Cpu && (device is not null || options.Count > 0))
            throw new InvalidInputException($"--provider auto chose cpu, which takes no {(device is not null ? "--device" : "--provider-option")}; ask for --provider cuda or tensorrt to use them");
        if (options.Keys.FirstOrDefault(k => ProviderOptionCatalog.For(chosen).All(o => o.Name != k)) is { } other)
            throw new InvalidInputException($"--provider auto chose {name}, which does not take --provider-option {other} (an option of the tensorrt provider)");
    }

    private static ProviderOptionKey Known(string key)
    {
        if (key == "device_id") throw new InvalidInputException("--provider-option device_id: give the device with --device N");
        if (ProviderOptionCatalog.Find(key) is not { } option)
            throw new InvalidInputException($"--provider-option: '{key}' is not an option of ONNX Runtime's cuda or tensorrt provider" +
                (Suggestions.Closest(key, ProviderOptionCatalog.AllNames) is { } meant ? $"; did you mean '{meant}'?" : " (their keys are in ONNX Runtime's CUDA and TensorRT execution provider docs)"));
        if (option.Kind == ProviderOptionKind.Address)
            throw new InvalidInputException($"--provider-option {key} takes a memory address, which only a program embedding ONNX Runtime can give");
        return option;
    }

    /// <summary>The value as ONNX Runtime reads it, or exit 2 saying what the key takes.</summary>
    private static string Value(ProviderOptionKey option, string value)
    {
        string Bad(string takes) => throw new InvalidInputException($"--provider-option {option.Name}={value}: {option.Name} takes {takes}");
        switch (option.Kind)
        {
            case ProviderOptionKind.Flag:
                return value.ToLowerInvariant() switch { "1" or "true" => "1", "0" or "false" => "0", _ => Bad("0 or 1") };
            case ProviderOptionKind.Number:
                return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= option.Min && number <= option.Max
                    ? number.ToString(CultureInfo.InvariantCulture)
                    : Bad(option.Max == int.MaxValue ? $"a whole number, {option.Min} or more" : $"a whole number from {option.Min} to {option.Max}");
            case ProviderOptionKind.Bytes:
                return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes.ToString(CultureInfo.InvariantCulture) : Bad("a size in bytes");
            case ProviderOptionKind.Choice:
                // ONNX Runtime matches its names exactly; the user's case does not matter here.
                return option.Choices!.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase)) ?? Bad(string.Join(", ", option.Choices!));
            case ProviderOptionKind.Folder:
                if (value.Length == 0) return Bad("a folder");
                var full = Path.GetFullPath(value);
                if (File.Exists(full)) Bad("a folder, and this is a file");
                return full;
            default:
                return value.Length > 0 ? value : Bad("a value");
        }
    }

    /// <summary>A cache folder given switches its cache on (ONNX Runtime ignores the folder while the cache is off).</summary>
    private static void CacheSwitch(Dictionary<string, string> options, string path, string enable)
    {
        if (!options.ContainsKey(path)) return;
        if (options.TryGetValue(enable, out var on) && on == "0")
            throw new InvalidInputException($"--provider-option {path} goes with {enable}=1 (with the cache off ONNX Runtime ignores the folder)");
        options[enable] = "1";
    }
}
