using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Conformance;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// Silero VAD in float16, streamed over the whole speech clip with its state carried from frame to frame (where
/// rounding could pile up): every frame's speech probability stays within 1e-2 of the streamed FP32 reference.
/// </summary>
public sealed class VadHalfPrecisionStreamingTests(ITestOutputHelper output)
{
    [Fact]
    public void StreamedSpeechProbabilitiesStayWithin1e2OfTheReference()
    {
        const string stem = "silero_vad_legacy";
        var reference = ReferenceData.Npy(Path.Combine(ReferenceData.Folder(stem), "seq_probs.npy")).AsDoubles();
        var model = ModelReader.Read(TestPaths.SharedModel(stem + ".onnx"));
        Pipelines.RunDefault(model);
        HalfPrecisionSupport.Convert(model, new HalfPrecisionSettings());
        var samples = ReferenceData.Npy(Path.Combine(TestPaths.SharedModels, "audio", "speech_16k.npy")).AsDoubles().Select(d => (float)d).ToArray();
        var actual = VadStreamingTests.Stream(ModelWriter.ToBytes(model), samples[..(1536 * reference.Length)], 1536, 16000).Probabilities;
        var worst = reference.Zip(actual, (r, a) => Math.Abs(r - a)).Max();
        output.WriteLine($"{reference.Length} frames: worst |p16 - p32| {worst:E2}; speech frames (p > 0.5): {reference.Count(p => p > 0.5)} in FP32, {actual.Count(p => p > 0.5)} in FP16");
        Assert.InRange(worst, 0, 1e-2);
        Assert.Equal(reference.Select(p => p > 0.5), actual.Select(p => p > 0.5));
    }
}
