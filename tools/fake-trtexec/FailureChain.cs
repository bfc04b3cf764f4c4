namespace FakeTrtexec;

/// <summary>The error lines trtexec prints as a failure unwinds, then the FAILED line (exit 1).</summary>
internal static class FailureChain
{
    public static int ParseFailed(Log log)
    {
        log.Error("Failed to parse onnx file");
        log.Error("Parsing model failed");
        return SetupFailed(log);
    }

    public static int BuildFailed(Log log)
    {
        log.Error("Engine could not be created from network");
        log.Error("Building engine failed");
        return SetupFailed(log);
    }

    public static int SetupFailed(Log log)
    {
        log.Error("Failed to create engine from model or file.");
        log.Error("Engine set up failed");
        return log.Failed();
    }
}
