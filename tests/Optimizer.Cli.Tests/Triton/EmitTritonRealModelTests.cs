using Inference;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Triton;

/// <summary>
/// mobilenet_v2 (shared, dynamic batch) through --emit triton: the served model, fed the reference image at the shapes
/// the config lets a client send (one sample, and a full batch of max_batch_size), gives torch's reference logits.
/// </summary>
public sealed class EmitTritonRealModelTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    [Fact]
    public void The_served_mobilenet_gives_the_reference_logits_at_the_configs_shapes()
    {
        var reference = Path.Combine(TestPaths.SharedModels, "ref", "mobilenet_v2");
        var result = CliRunner.Run(TestPaths.SharedModel("mobilenet_v2.onnx"), "-o", _dir.File("out"), "--emit", "triton", _dir.File("repo"), "--triton-max-batch", "4");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        var config = ProtoTextReader.Parse<ModelConfig>(File.ReadAllText(_dir.File("repo/mobilenet_v2/config.pbtxt")));
        var served = _dir.File("repo/mobilenet_v2/1/model.onnx");
        Assert.Empty(TritonConfigCheck.Check(config, "mobilenet_v2", TritonArtifact.Onnx, TritonModel.FromModel(ModelReader.Read(served))));
        var image = NpyFormat.Read(Path.Combine(reference, "input.npy"));
        var logits = NpyFormat.Read(Path.Combine(reference, "output.npy")).AsSpan<float>().ToArray();
        Assert.Equal([1L, .. config.Input[0].Dims], image.Shape);

        // A full batch of max_batch_size copies of the image: every row is the reference.
        var pixels = image.AsSpan<float>().ToArray();
        var batch = Enumerable.Repeat(pixels, config.MaxBatchSize).SelectMany(p => p).ToArray();
        var outputs = OrtRunner.RunFile(served, new Dictionary<string, TestTensor>
        {
            [config.Input[0].Name] = new(ElementType.Float, [config.MaxBatchSize, .. config.Input[0].Dims], batch),
        });
        var output = outputs[config.Output[0].Name];
        Assert.Equal([config.MaxBatchSize, .. config.Output[0].Dims], output.Dims);
        var values = output.AsDoubles();
        for (var row = 0; row < config.MaxBatchSize; row++)
            for (var i = 0; i < logits.Length; i++)
                Assert.True(Math.Abs(values[row * logits.Length + i] - logits[i]) < 1e-3, $"row {row}, logit {i}: {values[row * logits.Length + i]} vs {logits[i]}");
    }

    public void Dispose() => _dir.Dispose();
}
