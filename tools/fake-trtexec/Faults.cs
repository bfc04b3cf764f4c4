using System.Diagnostics;

namespace FakeTrtexec;

/// <summary>
/// Failures a test can ask for (FAKE_TRTEXEC_FAULT), each as trtexec shows it: an assertion or CUDA failure exits 1
/// with no FAILED line; build-failed ends with FAILED; hang never ends (for timeouts); killed dies by SIGKILL.
/// </summary>
internal static class Faults
{
    public static int? DuringBuild(string fault, Log log)
    {
        switch (fault)
        {
            case "assertion":
                log.Error("Assertion failure: engine != nullptr (sampleEngines.cpp:1231)");
                return 1;
            case "cuda":
                Log.Raw("Cuda failure at /_src/samples/common/sampleDevice.h:52: out of memory");
                return 1;
            case "build-failed":
                log.TrtError("Error[10]: IBuilder::buildSerializedNetwork: Error Code 10: Internal Error (Could not find any implementation for node /conv1/Conv.)");
                return FailureChain.BuildFailed(log);
            case "hang":
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
                return 1;
            case "killed":
                Console.Out.Flush();
                Process.GetCurrentProcess().Kill();
                Thread.Sleep(Timeout.Infinite);
                return 1;
            default:
                return null;
        }
    }
}
