using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Serialization;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// Makes ONNX Runtime sessions from <see cref="SessionSettings"/>. The one place that knows how each execution
/// provider is switched on; a model ONNX Runtime cannot load becomes an <see cref="InvalidInputException"/>.
/// </summary>
public static class SessionFactory
{
    public static InferenceSession Create(string modelPath, SessionSettings settings) => Create(modelPath, settings, out _);

    /// <summary>Creates a session and reports how long creation took (the first half of a cold start).</summary>
    public static InferenceSession Create(string modelPath, SessionSettings settings, out TimeSpan creationTime)
    {
        ModelReader.CheckModelPath(modelPath);
        // ONNX Runtime follows the model's external-data paths itself: they pass the same check as in the reader first.
        var facts = ExternalDataPaths.CheckModelFile(modelPath);
        using var options = MakeOptions(settings);
        // Absent optional inputs given as "" at the end of a node's inputs crash ONNX Runtime 1.31 (SIGSEGV, not an
        // error): it gets the same model with them left out, from memory, finding external data in the model's folder.
        var stripped = facts.TrailingEmptyInputs ? TrailingEmptyInputs.Strip(modelPath) : null;
        if (stripped is not null && facts.HasExternalData)
            options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        var clock = Stopwatch.StartNew();
        try
        {
            var session = stripped is null ? new InferenceSession(modelPath, options) : new InferenceSession(stripped, options);
            creationTime = clock.Elapsed;
            return session;
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException($"{modelPath}: ONNX Runtime cannot load the model: {OrtMessages.Clean(e.Message)}{OldOpsetHint(modelPath, e.Message)}", e);
        }
    }

    /// <summary>
    /// For a kernel ONNX Runtime no longer has (an operator version of the first exporters, opset 1-6), how to get a
    /// model it runs; "" otherwise.
    /// </summary>
    private static string OldOpsetHint(string modelPath, string message)
    {
        if (!message.Contains("Could not find an implementation for", StringComparison.Ordinal)) return "";
        try
        {
            var opset = ModelReader.Read(modelPath).GetOpset();
            return opset is < 7
                ? $" (its opset {opset} predates ONNX Runtime's kernels; `optimize {Path.GetFileName(modelPath)} -o DIR` writes it upgraded to opset 13, same results)"
                : "";
        }
        catch (InvalidInputException)
        {
            return "";
        }
    }

    /// <summary>
    /// Creates a session from a model held in memory (one the caller has just changed, say); <paramref name="displayName"/>
    /// names it in messages. The model must not refer to external data files: there is no folder to find them in.
    /// </summary>
    public static InferenceSession Create(byte[] model, string displayName, SessionSettings settings)
    {
        using var options = MakeOptions(settings);
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException($"{displayName}: ONNX Runtime cannot load the model: {OrtMessages.Clean(e.Message)}", e);
        }
    }

    /// <summary>Refuses settings whose provider this build or machine cannot load, as a session would (exit 2 or 3), before any work.</summary>
    public static void CheckProvider(SessionSettings settings)
    {
        using var _ = MakeOptions(settings);
    }

    private static SessionOptions MakeOptions(SessionSettings settings)
    {
        // ONNX Runtime's own log goes to stderr: failures reach the user as one line through the exceptions instead.
        QuietLog();
        var options = new SessionOptions
        {
            GraphOptimizationLevel = settings.OptimizationLevel,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        if (settings.ProfilePrefix is { } prefix)
        {
            // The prefix first: setting EnableProfiling hands ONNX Runtime the prefix it holds at that moment.
            options.ProfileOutputPathPrefix = prefix;
            options.EnableProfiling = true;
        }
        if (!settings.Spinning) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (settings.Threads > 0)
        {
            options.IntraOpNumThreads = settings.Threads;
            options.InterOpNumThreads = 1;
        }
        if (settings.Provider != ExecutionProvider.Cpu && MissingProvider(settings.Provider) is { } missing)
        {
            options.Dispose();
            throw new InvalidInputException(missing);
        }
        if (AppendProvider(options, settings) is { } failure)
        {
            // The package has the provider, but the machine lacks what it loads (CUDA, cuDNN, TensorRT): exit 3, naming it.
            options.Dispose();
            throw new ExternalToolException(ProviderLoadFailure(settings.Provider, failure));
        }
        try
        {
            MakeCacheFolders(settings);
        }
        catch
        {
            options.Dispose();
            throw;
        }
        return options;
    }

    /// <summary>
    /// The TensorRT provider's engine and timing cache folders given: made when missing, parents too (ONNX Runtime makes
    /// only the last level). Made once the provider has loaded, so a run refused before leaves no folder behind.
    /// </summary>
    internal static void MakeCacheFolders(SessionSettings settings)
    {
        if (settings.Provider != ExecutionProvider.TensorRt) return;
        foreach (var key in new[] { "trt_engine_cache_path", "trt_timing_cache_path" })
        {
            if (!settings.ProviderOptions.TryGetValue(key, out var folder)) continue;
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"--provider-option {key}: cannot make the folder {folder}: {e.Message}", e);
            }
        }
    }

    private static void QuietLog() => OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;

    /// <summary>Whether this build's ONNX Runtime package has <paramref name="provider"/> (the CPU provider it always has).</summary>
    internal static bool InPackage(ExecutionProvider provider) => provider == ExecutionProvider.Cpu
        || OrtEnv.Instance().GetAvailableProviders().Contains(provider == ExecutionProvider.Cuda ? "CUDAExecutionProvider" : "TensorrtExecutionProvider");

    /// <summary>
    /// Appends the provider of <paramref name="settings"/> to <paramref name="options"/> with its device and provider
    /// options (nothing for the CPU, which is always there; CUDA after TensorRT, for the nodes TensorRT does not take).
    /// Null when it loaded, else ONNX Runtime's reason. The options go through ONNX Runtime's own parser of the provider
    /// library, so this is where a library that cannot load is found.
    /// </summary>
    internal static string? AppendProvider(SessionOptions options, SessionSettings settings)
    {
        QuietLog();
        if (settings.Provider == ExecutionProvider.Cpu) return null;
        try
        {
            if (settings.Provider == ExecutionProvider.TensorRt)
            {
                using var tensorRt = new OrtTensorRTProviderOptions();
                tensorRt.UpdateOptions(KeysOf(ProviderOptionCatalog.TensorRt, settings));
                options.AppendExecutionProvider_Tensorrt(tensorRt);
            }
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(KeysOf(ProviderOptionCatalog.Cuda, settings));
            options.AppendExecutionProvider_CUDA(cuda);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return OrtMessages.Clean(e.Message);
        }
    }

    /// <summary>The device and the options of <paramref name="settings"/> that one provider's <paramref name="keys"/> hold.</summary>
    private static Dictionary<string, string> KeysOf(IReadOnlyList<ProviderOptionKey> keys, SessionSettings settings)
    {
        var chosen = new Dictionary<string, string> { ["device_id"] = settings.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var key in keys)
            if (settings.ProviderOptions.TryGetValue(key.Name, out var value)) chosen[key.Name] = value;
        return chosen;
    }

    /// <summary>Why a provider this ONNX Runtime package does not have cannot be used (one line), or null when it has it.</summary>
    private static string? MissingProvider(ExecutionProvider provider)
    {
        if (InPackage(provider)) return null;
        var available = OrtEnv.Instance().GetAvailableProviders();
        var name = provider.ToString().ToLowerInvariant();
        return $"--provider {name}: this build of optimize is the {BuildFlavour.Name} flavour, whose ONNX Runtime package has no {name} execution provider " +
               $"(it has {string.Join(", ", available.Select(p => p.Replace("ExecutionProvider", "").ToLowerInvariant()))}); " +
               (BuildFlavour.IsGpu ? "see the README's GPU section" : BuildFlavour.GpuBuildHint);
    }

    /// <summary>One line: which provider could not load and the library it missed, with what the GPU package needs.</summary>
    internal static string ProviderLoadFailure(ExecutionProvider provider, string ortMessage)
    {
        var name = provider.ToString().ToLowerInvariant();
        return $"--provider {name}: ONNX Runtime's {name} execution provider cannot load on this machine: {LoadReason(provider, ortMessage)}" +
               " (the GPU package, Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31, needs an NVIDIA driver and CUDA 13 with its cuDNN" +
               (provider == ExecutionProvider.TensorRt ? ", and TensorRT for the tensorrt provider" : "") + ", on the library path)";
    }

    /// <summary>Why the provider did not load, short: the library it missed ("libcublasLt.so.13 is missing"), else ONNX Runtime's first line.</summary>
    internal static string LoadReason(ExecutionProvider provider, string ortMessage)
    {
        // The first library named that is not ONNX Runtime's own provider library: the dependency it could not find.
        var library = System.Text.RegularExpressions.Regex.Matches(MissingLibrary(provider) ?? ortMessage, @"lib[\w.+-]+\.so(\.\d+)*")
            .FirstOrDefault(m => !m.Value.StartsWith("libonnxruntime", StringComparison.Ordinal));
        return library is not null ? $"{library.Value} is missing" : FirstLine(ortMessage);
    }

    /// <summary>
    /// What the provider's library fails to load for, asked of the system loader directly (ONNX Runtime names it only
    /// in its own log, which the tool keeps off the console): e.g. "libcublasLt.so.13: cannot open shared object file".
    /// </summary>
    private static string? MissingLibrary(ExecutionProvider provider)
    {
        var file = provider == ExecutionProvider.Cuda ? "libonnxruntime_providers_cuda.so" : "libonnxruntime_providers_tensorrt.so";
        var path = new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", file), Path.Combine(AppContext.BaseDirectory, file) }
            .FirstOrDefault(File.Exists);
        if (path is null) return null;
        try
        {
            System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }

    internal static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
