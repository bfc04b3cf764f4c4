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
            throw new InvalidInputException($"{modelPath}: ONNX Runtime cannot load the model: {OrtMessages.Clean(e.Message)}", e);
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

    private static SessionOptions MakeOptions(SessionSettings settings)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = settings.OptimizationLevel,
            // Load errors reach the user through the exception message; ORT's own log would print them twice.
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
        try
        {
            switch (settings.Provider)
            {
                case ExecutionProvider.Cuda:
                    options.AppendExecutionProvider_CUDA(settings.DeviceId);
                    break;
                case ExecutionProvider.TensorRt:
                    options.AppendExecutionProvider_Tensorrt(settings.DeviceId);
                    options.AppendExecutionProvider_CUDA(settings.DeviceId);
                    break;
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            options.Dispose();
            throw new InvalidInputException(
                $"execution provider '{settings.Provider.ToString().ToLowerInvariant()}' is not available in this ONNX Runtime build: {OrtMessages.Clean(e.Message)}", e);
        }
        return options;
    }

    /// <summary>Why a provider this ONNX Runtime package does not have cannot be used (one line), or null when it has it.</summary>
    private static string? MissingProvider(ExecutionProvider provider)
    {
        var ortName = provider == ExecutionProvider.Cuda ? "CUDAExecutionProvider" : "TensorrtExecutionProvider";
        var available = OrtEnv.Instance().GetAvailableProviders();
        if (available.Contains(ortName)) return null;
        var name = provider.ToString().ToLowerInvariant();
        return $"--provider {name}: this build of optimize runs ONNX Runtime's CPU package, which has no {name} execution provider " +
               $"(it has {string.Join(", ", available.Select(p => p.Replace("ExecutionProvider", "").ToLowerInvariant()))})";
    }

    internal static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
