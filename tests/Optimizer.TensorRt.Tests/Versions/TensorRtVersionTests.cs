using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Tests.Versions;

public sealed class TensorRtVersionTests
{
    [Theory]
    [InlineData("&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=a.onnx", 8, 6, 1, null)]
    [InlineData("&&&& RUNNING TensorRT.trtexec [TensorRT v100200] # D:\\TensorRT-10.2.0.19\\bin\\trtexec.exe --loadEngine=x", 10, 2, 0, null)]
    [InlineData("&&&& RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # trtexec --onnx=fcn-resnet101.onnx", 10, 9, 0, 34)]
    [InlineData("&&&& PASSED TensorRT.trtexec [TensorRT v110100] [b6] # trtexec", 11, 1, 0, 6)]
    public void Reads_the_banner_of_each_numbering(string banner, int major, int minor, int patch, int? build)
    {
        Assert.Equal(new TensorRtVersion(major, minor, patch, build), TensorRtVersion.FromBanner(banner));
    }

    [Theory]
    [InlineData("[11/23/2026-19:37:37] [I] TensorRT version: 10.9.0")]
    [InlineData("TensorRT v100900 without the test marker")]
    public void Other_lines_are_not_banners(string line) => Assert.Null(TensorRtVersion.FromBanner(line));

    [Fact]
    public void Capabilities_follow_the_releases()
    {
        var v86 = new TensorRtVersion(8, 6, 1);
        var v109 = new TensorRtVersion(10, 9, 0, 34);
        var v1013 = new TensorRtVersion(10, 13, 0, 35);
        var v111 = new TensorRtVersion(11, 1, 0, 6);
        Assert.Equal([true, true, true, false], new[] { v86, v109, v1013, v111 }.Select(v => v.HasWeakTypingFlags));
        Assert.Equal([false, true, true, false], new[] { v86, v109, v1013, v111 }.Select(v => v.HasStronglyTypedFlag));
        Assert.Equal([false, false, true, true], new[] { v86, v109, v1013, v111 }.Select(v => v.PrefersStrongTypingForQdq || v.StronglyTypedByDefault));
        Assert.Equal("TRT-8601-EntropyCalibration2", v86.CalibrationHeader);
        Assert.Equal("TRT-100900-EntropyCalibration2", v109.CalibrationHeader);
        Assert.Equal("10.9.0.34", v109.WithBuild);
    }
}
