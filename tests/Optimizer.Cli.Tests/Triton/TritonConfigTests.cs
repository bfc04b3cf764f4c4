using Inference;
using Optimizer.Cli.Triton;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests.Triton;

/// <summary>
/// The config built for a model, read back from its text and checked with the rules Triton applies when it loads it;
/// each mutation of a name, a type or the batch axis is refused by the check. The model runs in ONNX Runtime at the
/// shapes the config lets a client send.
/// </summary>
public sealed class TritonConfigTests
{
    /// <summary>x f32[N,4] → MatMul(W f32[4,3]) → Relu → y f32[N,3] (or with a fixed first dim).</summary>
    private static Model Dense(object batch, ElementType type = ElementType.Float, bool qdq = false)
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", type, batch, 4);
        var weights = type == ElementType.Float16
            ? b.Initializer("w", b.RandomFloats([4, 3]).Select(v => (Half)v).ToArray(), 4, 3)
            : b.RandomInitializer("w", 1f, 4, 3);
        if (qdq)
        {
            var (scale, zero) = (b.Initializer("s", [0.02f]), b.Initializer("z", new sbyte[] { 0 }));
            x = b.Op("DequantizeLinear", [b.Op("QuantizeLinear", [x, scale, zero]), scale, zero]);
        }
        var y = b.Op("Relu", [b.Op("MatMul", [x, weights])]);
        y.Type = new TensorTypeInfo(type, GraphBuilder.ShapeOf(batch, 3));
        y.Name = "y";
        b.Output(y);
        return b.Build();
    }

    private static (ModelConfig Config, string Text) Written(Model model, TritonBatching? batching = null)
    {
        var config = TritonConfigBuilder.Build("dense", TritonModel.FromModel(model), TritonArtifact.Onnx, batching ?? new TritonBatching());
        return (config, ProtoTextWriter.Write(config));
    }

    private static IReadOnlyList<string> Check(string text, Model model, TritonArtifact artifact = TritonArtifact.Onnx) =>
        TritonConfigCheck.Check(ProtoTextReader.Parse<ModelConfig>(text), "dense", artifact, TritonModel.FromModel(model));

    [Fact]
    public void A_model_with_a_dynamic_batch_axis_batches_and_runs_at_the_largest_batch_the_config_allows()
    {
        var model = Dense("N");
        var (config, text) = Written(model, new TritonBatching(MaxBatch: 16, Preferred: 16, QueueDelayMicroseconds: 250));

        Assert.Empty(Check(text, model));
        Assert.Equal(16, config.MaxBatchSize);
        Assert.Equal([4L], config.Input[0].Dims);
        Assert.Equal([3L], config.Output[0].Dims);
        Assert.Equal([16], config.DynamicBatching.PreferredBatchSize);
        Assert.Equal(250UL, config.DynamicBatching.MaxQueueDelayMicroseconds);
        Assert.Equal(ModelInstanceGroup.Types.Kind.Cpu, config.InstanceGroup.Single().Kind);
        Assert.Equal("FP32", config.Optimization.ExecutionAccelerators.GpuExecutionAccelerator.Single().Parameters["precision_mode"]);

        // What a client of this config sends: [max_batch_size] + dims. ONNX Runtime (optimizations off) takes it and
        // answers in the output's configured shape.
        var input = OrtRunner.Random(ElementType.Float, [config.MaxBatchSize, .. config.Input[0].Dims], new Random(3));
        var outputs = OrtRunner.Run(model, new Dictionary<string, TestTensor> { ["x"] = input });
        Assert.Equal([config.MaxBatchSize, .. config.Output[0].Dims], outputs["y"].Dims);
    }

    [Fact]
    public void Without_a_batch_axis_max_batch_size_is_0_and_the_dims_are_the_whole_shape()
    {
        var model = Dense(2L);
        var (config, text) = Written(model);

        Assert.Empty(Check(text, model));
        Assert.Equal(0, config.MaxBatchSize);
        Assert.Equal([2L, 4], config.Input[0].Dims);
        Assert.Null(config.DynamicBatching);
        Assert.DoesNotContain("max_batch_size", text); // proto3: 0 is the default, as Triton's own printer leaves it out
        var outputs = OrtRunner.Run(model, new Dictionary<string, TestTensor> { ["x"] = OrtRunner.Random(ElementType.Float, [.. config.Input[0].Dims], new Random(3)) });
        Assert.Equal([.. config.Output[0].Dims], outputs["y"].Dims);
    }

    [Fact]
    public void A_scalar_input_which_Triton_cannot_declare_is_refused_naming_it()
    {
        // silero VAD v5's sample rate is an int64 scalar: Triton wants non-empty dims and refuses an empty reshape without batching
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 4);
        var rate = b.Input("sr", ElementType.Float);
        b.Output(b.Op("Mul", [x, rate]));
        var error = Assert.Throws<InvalidInputException>(() => Written(b.Build()));
        Assert.Contains("'sr' is a scalar (rank 0), which Triton's model configuration cannot declare", error.Message);
        // the same model with the rate as shape [1] is served
        var ok = new GraphBuilder(opset: 13);
        var y = ok.Op("Mul", [ok.Input("x", ElementType.Float, 1, 4), ok.Input("sr", ElementType.Float, 1)]);
        y.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(1L, 4));
        ok.Output(y);
        var served = ok.Build();
        Assert.Empty(Check(Written(served).Text, served));
    }

    [Fact]
    public void A_batch_size_for_a_model_without_a_batch_axis_is_refused()
    {
        var error = Assert.Throws<InvalidInputException>(() => Written(Dense(2L), new TritonBatching(MaxBatch: 4)));
        Assert.Contains("the model has no batch axis ('x' has first dim 2)", error.Message);
    }

    [Theory]
    [InlineData(false, ElementType.Float16, "FP16")]
    [InlineData(true, ElementType.Float, "INT8")]
    public void The_TensorRT_accelerator_runs_in_the_precision_the_model_was_made_for(bool qdq, ElementType type, string mode)
    {
        var model = Dense("N", type, qdq);
        var (config, text) = Written(model);

        Assert.Empty(Check(text, model));
        Assert.Equal(mode, config.Optimization.ExecutionAccelerators.GpuExecutionAccelerator.Single().Parameters["precision_mode"]);
        Assert.Equal(type == ElementType.Float16 ? DataType.TypeFp16 : DataType.TypeFp32, config.Input[0].DataType);
        var outputs = OrtRunner.Run(model, OrtRunner.SeededInputs(model, dimValues: new Dictionary<string, long> { ["N"] = config.MaxBatchSize }));
        Assert.Equal([config.MaxBatchSize, 3], outputs["y"].Dims);
    }

    [Theory]
    [InlineData("name: \"x\"", "name: \"x0\"", "input 'x0' is not an input of the model")]
    [InlineData("name: \"x\"", "name: \"x0\"", "the model's input 'x' is not configured")]
    [InlineData("name: \"y\"", "name: \"logits\"", "output 'logits' is not an output of the model")]
    [InlineData("data_type: TYPE_FP32\n  dims: 4", "data_type: TYPE_FP16\n  dims: 4", "input 'x': data_type TYPE_FP16 does not match the model's Float (TYPE_FP32)")]
    [InlineData("data_type: TYPE_FP32\n  dims: 3", "data_type: TYPE_INT64\n  dims: 3", "output 'y': data_type TYPE_INT64 does not match")]
    [InlineData("max_batch_size: 8\n", "", "input 'x': dims [4] have rank 1, the model's [-1,4] rank 2")]
    [InlineData("max_batch_size: 8\n", "", "dynamic_batching is set but max_batch_size is 0")]
    [InlineData("  dims: 4\n", "  dims: -1\n  dims: 4\n", "input 'x': dims [-1,4] have rank 2, the model's without the batch axis [4] rank 1")]
    [InlineData("  dims: 3\n", "  dims: 5\n", "output 'y': dim 0 is 5 but the model's is 3")]
    [InlineData("dynamic_batching {\n}", "dynamic_batching {\n  preferred_batch_size: 9\n}", "preferred_batch_size 9 is not within 1..max_batch_size (8)")]
    [InlineData("platform: \"onnxruntime_onnx\"", "platform: \"tensorrt_plan\"", "platform 'tensorrt_plan' does not load a model.onnx")]
    [InlineData("name: \"dense\"", "name: \"other\"", "name 'other' is not the model folder's name 'dense'")]
    public void Each_mutation_of_the_batching_models_config_is_refused(string from, string to, string problem)
    {
        var model = Dense("N");
        var (_, text) = Written(model);
        Assert.Empty(Check(text, model));
        Assert.Contains(from, text);

        var problems = Check(ReplaceFirst(text, from, to), model);

        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("platform: \"onnxruntime_onnx\"\n", "platform: \"onnxruntime_onnx\"\nmax_batch_size: 4\n", "input 'x': max_batch_size 4 needs a dynamic first (batch) dim, but the model's is 2")]
    [InlineData("  dims: 2\n  dims: 4\n", "  dims: 4\n", "input 'x': dims [4] have rank 1, the model's [2,4] rank 2")]
    [InlineData("  dims: 2\n  dims: 4\n", "  dims: -1\n  dims: 4\n", "input 'x': dim 0 is -1 but the model's is 2")]
    [InlineData("  dims: 2\n  dims: 4\n", "  dims: 0\n  dims: 4\n", "input 'x': dim 0 is 0; a dim is at least 1, or -1")]
    public void Each_mutation_of_the_fixed_models_config_is_refused(string from, string to, string problem)
    {
        var model = Dense(2L);
        var (_, text) = Written(model);
        Assert.Empty(Check(text, model));

        var problems = Check(ReplaceFirst(text, from, to), model);

        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void A_plan_on_a_CPU_instance_or_with_the_ONNX_Runtime_accelerator_is_refused()
    {
        var model = Dense("N");
        var (_, text) = Written(model);
        var asPlan = text.Replace("onnxruntime_onnx", "tensorrt_plan", StringComparison.Ordinal);

        var problems = Check(asPlan, model, TritonArtifact.Plan);

        Assert.Contains("instance_group: a TensorRT plan runs on a GPU, not KIND_CPU", problems);
        Assert.Contains("gpu_execution_accelerator 'tensorrt' is for the ONNX Runtime backend, not a plan", problems);
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' is not in the config:\n{text}");
        return text[..at] + to + text[(at + from.Length)..];
    }
}
