using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>A GPU provider that cannot load is one line naming the library that is missing and what the package needs.</summary>
public sealed class ProviderMessagesTests
{
    [Fact]
    public void The_missing_dependency_is_named_not_the_providers_own_library()
    {
        const string loader = "Unable to load shared library '/opt/app/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so' or one of its " +
                              "dependencies: libcublasLt.so.13: cannot open shared object file: No such file or directory";
        var line = SessionFactory.ProviderLoadFailure(ExecutionProvider.Cuda, loader);
        Assert.StartsWith("--provider cuda: ONNX Runtime's cuda execution provider cannot load on this machine: libcublasLt.so.13 is missing", line);
        Assert.Contains("CUDA 13", line);
        Assert.DoesNotContain("\n", line);
        Assert.Contains("TensorRT for the tensorrt provider", SessionFactory.ProviderLoadFailure(ExecutionProvider.TensorRt, loader));
    }

    [Fact]
    public void Without_a_library_name_the_first_line_of_the_reason_is_kept()
    {
        var line = SessionFactory.ProviderLoadFailure(ExecutionProvider.Cuda, "CUDA driver version is insufficient\nsecond line");
        Assert.Contains("cannot load on this machine: CUDA driver version is insufficient (", line);
    }

    [Fact]
    public void This_build_says_its_flavour() => Assert.Equal("cpu", BuildFlavour.Name); // the test run links the CPU package
}
