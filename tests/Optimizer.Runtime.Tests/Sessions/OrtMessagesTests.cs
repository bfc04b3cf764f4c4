using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>ONNX Runtime's messages lose their C++ source locations and signatures, and keep what a user can act on.</summary>
public sealed class OrtMessagesTests
{
    [Fact]
    public void ALoadFailureKeepsOnlyTheReason()
    {
        const string message = "[ErrorCode:Fail] Load model from /tmp/m30.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 " +
            "void onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::__cxx11::basic_string<char>, int>&, " +
            "const onnxruntime::logging::Logger&, bool, const std::string&, int) ONNX Runtime only *guarantees* support for models stamped " +
            "with official released onnx opset versions. Opset 30 is under development.\nsecond line";
        Assert.Equal("ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions. Opset 30 is under development.",
            OrtMessages.Clean(message));
    }

    [Fact]
    public void ARunFailureWithAConstMethodKeepsOnlyTheReason()
    {
        const string message = "[ErrorCode:RuntimeException] Non-zero status code returned while running Conv node. Name:'conv0' " +
            "Status Message: /onnxruntime_src/onnxruntime/core/framework/op_kernel.cc:83 virtual OrtValue* onnxruntime::OpKernelContext::OutputMLValue(int, " +
            "const onnxruntime::TensorShape&) const shape mismatch";
        Assert.Equal("Non-zero status code returned while running Conv node. Name:'conv0' Status Message: shape mismatch", OrtMessages.Clean(message));
    }

    [Fact]
    public void AMessageWithoutLocationsIsKept()
    {
        Assert.Equal("Got invalid dimensions for input: x", OrtMessages.Clean("[ErrorCode:InvalidArgument] Got invalid dimensions for input: x"));
        Assert.Equal("plain", OrtMessages.Clean("plain"));
    }
}
