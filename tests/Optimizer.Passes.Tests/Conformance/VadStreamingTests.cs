using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Conformance;

/// <summary>
/// Silero VAD is stateful: h and c carry from one frame to the next. The optimized model is streamed frame by frame
/// beside the input model, through both If branches (16 kHz and 8 kHz), and must give the same speech probability
/// per frame and the same final state. When the clip behind ref/seq_probs.npy is present, it is reproduced too.
/// </summary>
public sealed class VadStreamingTests
{
    private const string Stem = "silero_vad_legacy";

    [Theory]
    [InlineData(16000L, 1536)]
    [InlineData(8000L, 768)]
    public void StreamedProbabilitiesAndStateMatchTheInputModel(long sampleRate, int frame)
    {
        var path = TestPaths.SharedModel(Stem + ".onnx");
        var model = ModelReader.Read(path);
        Pipelines.RunDefault(model);
        var clip = Clip(frame * 12);
        var expected = Stream(File.ReadAllBytes(path), clip, frame, sampleRate);
        var actual = Stream(ModelWriter.ToBytes(model), clip, frame, sampleRate);
        Assert.InRange(OrtRunner.RelativeError(expected.Probabilities, actual.Probabilities), 0, 1e-4);
        Assert.InRange(OrtRunner.RelativeError(expected.State, actual.State), 0, 1e-4);
        Assert.Contains(expected.Probabilities, p => p > 0.01); // the clip exercises the model, not only silence
    }

    [Fact]
    public void ReproducesTheStreamedReferenceOnItsSpeechClip()
    {
        var audio = Path.Combine(TestPaths.SharedModels, "audio", "speech_16k.npy");
        var reference = ReferenceData.Npy(Path.Combine(ReferenceData.Folder(Stem), "seq_probs.npy")).AsDoubles();
        Assert.Equal(100, reference.Length);
        Assert.True(File.Exists(audio), $"the speech clip {audio} is missing (../shared/models/audio, made by make_speech_16k.py)");
        var model = ModelReader.Read(TestPaths.SharedModel(Stem + ".onnx"));
        Pipelines.RunDefault(model);
        var samples = ReferenceData.Npy(audio).AsDoubles().Select(d => (float)d).ToArray();
        var actual = Stream(ModelWriter.ToBytes(model), samples[..(1536 * reference.Length)], 1536, 16000);
        Assert.InRange(OrtRunner.RelativeError(reference, actual.Probabilities), 0, 1e-4);
    }

    /// <summary>The reference frame (real speech) followed by seeded, decaying copies of it with noise.</summary>
    private static float[] Clip(int length)
    {
        var speech = ReferenceData.Npy(Path.Combine(ReferenceData.Folder(Stem), "input.npy")).AsDoubles();
        var random = new Random(7);
        return Enumerable.Range(0, length).Select(i => (float)(speech[i % speech.Length] * (1 - i / (2.0 * length)) + (random.NextDouble() - 0.5) * 0.01)).ToArray();
    }

    internal static (double[] Probabilities, double[] State) Stream(byte[] model, float[] clip, int frame, long sampleRate)
    {
        var h = new TestTensor(Onnx.IR.ElementType.Float, [2, 1, 64], new float[128]);
        var c = h;
        var probabilities = new List<double>();
        for (var start = 0; start + frame <= clip.Length; start += frame)
        {
            var outputs = OrtRunner.Run(model, new Dictionary<string, TestTensor>
            {
                ["input"] = new(Onnx.IR.ElementType.Float, [1, frame], clip[start..(start + frame)]),
                ["sr"] = new(Onnx.IR.ElementType.Int64, [], new[] { sampleRate }),
                ["h"] = h,
                ["c"] = c,
            });
            probabilities.Add(outputs["output"].AsDoubles()[0]);
            (h, c) = (outputs["hn"], outputs["cn"]);
        }
        return (probabilities.ToArray(), h.AsDoubles().Concat(c.AsDoubles()).ToArray());
    }
}
