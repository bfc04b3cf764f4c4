using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>
/// ONNX Runtime 1.31 dies of SIGSEGV (it does not throw) optimizing a LayerNormalization whose optional bias is given
/// as "": a model file like that is handed to it with the empty names at the end left out, with or without external
/// data, and runs like the same model without them. Before the fix this test took the test host down.
/// </summary>
public sealed class SessionFactoryTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_model_whose_inputs_end_empty_runs_at_every_optimization_level(bool externalData)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 256);
        var scale = b.Initializer("scale", b.RandomFloats([256]), 256);
        b.Output(b.Op("LayerNormalization", [x, scale], ("axis", -1L)));
        var model = b.Build();
        var inputs = OrtRunner.SeededInputs(model);
        var expected = (float[])OrtRunner.Run(model, inputs).Values.Single().Data;

        var path = _dir.File(externalData ? "external/ln.onnx" : "ln.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ModelWriter.Write(model, path, new ModelWriteOptions { ExternalData = externalData ? ExternalDataMode.Always : ExternalDataMode.Never });
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.Graph.Node[0].Input.Add("");
        File.WriteAllBytes(path, proto.ToByteArray());
        Assert.Equal(externalData, File.Exists(path + ".data"));

        foreach (var level in Enum.GetValues<Microsoft.ML.OnnxRuntime.GraphOptimizationLevel>())
        {
            using var runner = new ModelRunner(path, new SessionSettings { OptimizationLevel = level });
            var sample = new Sample("0", "sample 0", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray((float[])inputs["x"].Data, [2, 256]) });
            var actual = runner.Run(sample).Outputs.Values.Single().AsSpan<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
        }
    }
}
