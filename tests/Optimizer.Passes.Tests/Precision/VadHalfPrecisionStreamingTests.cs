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

    /// <summary>
    /// With --no-keep-io-types the state outputs hn and cn, which the model's If produces, are float16 as the h and c
    /// inputs are, so the caller feeds them straight back. Streamed so, it gives what the float32-interface model gives
    /// on the same audio rounded to half (its state crosses the interface as exact half values either way); against
    /// FP32 on the exact audio the bound is 2.5e-2, as the STFT front end, which stays float32, now reads rounded audio.
    /// </summary>
    [Fact]
    public void WithHalfInputsAndOutputsTheStateFeedsBackAndTheStreamMatchesTheFloat32InterfaceOnHalfAudio()
    {
        const string stem = "silero_vad_legacy";
        var reference = ReferenceData.Npy(Path.Combine(ReferenceData.Folder(stem), "seq_probs.npy")).AsDoubles();
        byte[] Converted(bool keepIoTypes)
        {
            var model = ModelReader.Read(TestPaths.SharedModel(stem + ".onnx"));
            Pipelines.RunDefault(model);
            HalfPrecisionSupport.Convert(model, new HalfPrecisionSettings { KeepIoTypes = keepIoTypes });
            var io = model.Graph.Inputs.Concat(model.Graph.Outputs).Where(v => v.Name != "sr").ToList();
            Assert.All(io, v => Assert.Equal(keepIoTypes ? Onnx.IR.ElementType.Float : Onnx.IR.ElementType.Float16, v.ElementType));
            return ModelWriter.ToBytes(model);
        }
        var clip = ReferenceData.Npy(Path.Combine(TestPaths.SharedModels, "audio", "speech_16k.npy")).AsDoubles();
        var halfAudio = clip[..(1536 * reference.Length)].Select(v => (float)(Half)v).ToArray();
        var actual = Stream(Converted(keepIoTypes: false), halfAudio, Onnx.IR.ElementType.Float16);
        var sameAudio = Stream(Converted(keepIoTypes: true), halfAudio, Onnx.IR.ElementType.Float);
        var apart = actual.Zip(sameAudio, (a, b) => Math.Abs(a - b)).Max();
        var worst = reference.Zip(actual, (r, a) => Math.Abs(r - a)).Max();
        output.WriteLine($"{reference.Length} frames, half inputs and outputs: against the float32 interface on half audio {apart:E2}; "
                         + $"against FP32 {worst:E2}, speech frames {reference.Count(p => p > 0.5)} in FP32, {actual.Count(p => p > 0.5)} in FP16");
        Assert.InRange(apart, 0, 1e-3);
        Assert.InRange(worst, 0, 2.5e-2);
    }

    /// <summary>The clip in 1536-sample frames at 16 kHz, h and c carried from each frame's hn and cn, floats of <paramref name="type"/>.</summary>
    private static double[] Stream(byte[] model, float[] clip, Onnx.IR.ElementType type)
    {
        TestTensor Floats(long[] dims, float[] values) => type == Onnx.IR.ElementType.Float16
            ? new TestTensor(type, dims, values.Select(v => (Half)v).ToArray())
            : new TestTensor(type, dims, values);
        var (h, c) = (Floats([2, 1, 64], new float[128]), Floats([2, 1, 64], new float[128]));
        var probabilities = new List<double>();
        for (var start = 0; start + 1536 <= clip.Length; start += 1536)
        {
            var outputs = OrtRunner.Run(model, new Dictionary<string, TestTensor>
            {
                ["input"] = Floats([1, 1536], clip[start..(start + 1536)]),
                ["sr"] = new(Onnx.IR.ElementType.Int64, [], new[] { 16000L }),
                ["h"] = h,
                ["c"] = c,
            });
            probabilities.Add(outputs["output"].AsDoubles()[0]);
            (h, c) = (outputs["hn"], outputs["cn"]);
        }
        return probabilities.ToArray();
    }
}
