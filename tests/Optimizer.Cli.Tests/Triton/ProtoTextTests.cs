using Inference;
using Optimizer.Cli.Triton;

namespace Optimizer.Cli.Tests.Triton;

/// <summary>
/// The text-format printer and reader over Triton's ModelConfig: what is written reads back as the same message, the
/// reader takes the forms Triton's own examples use, and refuses (naming the line) what Triton's parser refuses.
/// </summary>
public sealed class ProtoTextTests
{
    private static ModelConfig Rich()
    {
        var config = new ModelConfig
        {
            Name = "m\"odel\\ é\n",
            Platform = "onnxruntime_onnx",
            MaxBatchSize = 16,
            Input = { new ModelInput { Name = "x", DataType = DataType.TypeFp16, Dims = { -1, 3, 224 }, Format = ModelInput.Types.Format.Nchw } },
            Output = { new ModelOutput { Name = "y", DataType = DataType.TypeInt64, Dims = { 10 } }, new ModelOutput { Name = "z", DataType = DataType.TypeBool } },
            DynamicBatching = new ModelDynamicBatching { PreferredBatchSize = { 4, 8 }, MaxQueueDelayMicroseconds = 18_446_744_073_709_551_615UL },
            InstanceGroup = { new ModelInstanceGroup { Kind = ModelInstanceGroup.Types.Kind.Gpu, Count = 2, Gpus = { 0, 1 } } },
            Optimization = new ModelOptimizationPolicy
            {
                ExecutionAccelerators = new() { GpuExecutionAccelerator = { new ModelOptimizationPolicy.Types.ExecutionAccelerators.Types.Accelerator { Name = "tensorrt", Parameters = { ["precision_mode"] = "INT8", ["max_workspace_size_bytes"] = "1073741824" } } } },
            },
            Parameters = { ["intra_op_thread_count"] = new ModelParameter { StringValue = "2" } },
        };
        return config;
    }

    [Fact]
    public void What_is_written_reads_back_as_the_same_message()
    {
        var config = Rich();
        var text = ProtoTextWriter.Write(config);

        Assert.Equal(config, ProtoTextReader.Parse<ModelConfig>(text));
        Assert.Contains("max_queue_delay_microseconds: 18446744073709551615\n", text);
        Assert.Contains("  kind: KIND_GPU\n", text);
        Assert.Contains("name: \"m\\\"odel\\\\ \\303\\251\\n\"\n", text);
        Assert.Contains("\nparameters {\n  key: \"intra_op_thread_count\"\n  value {\n    string_value: \"2\"\n  }\n}\n", text);
    }

    [Fact]
    public void Proto3_defaults_are_left_out_and_a_set_empty_message_is_written()
    {
        var text = ProtoTextWriter.Write(new ModelConfig { Name = "a", DynamicBatching = new ModelDynamicBatching() });

        Assert.Equal("name: \"a\"\ndynamic_batching {\n}\n", text);
    }

    [Fact]
    public void Reads_the_forms_of_Tritons_own_examples()
    {
        const string text = """
            # a comment
            name: "densenet"
            platform: "onnxruntime_onnx"
            max_batch_size : 8
            input [
              {
                name: "data_0"
                data_type: TYPE_FP32
                format: FORMAT_NCHW
                dims: [ 3, 224, 224 ]
                reshape: { shape: [ 1, 3, 224, 224 ] }
              }
            ]
            output < name: "fc6_1" data_type: 11 dims: [ 1000 ] >
            dynamic_batching { preferred_batch_size: [ 4, 8 ], max_queue_delay_microseconds: 100 }
            optimization { execution_accelerators {
              gpu_execution_accelerator : [ {
                name : "tensorrt"
                parameters { key: "precision_mode" value: "FP16" }}
              ]
            }}
            """;

        var config = ProtoTextReader.Parse<ModelConfig>(text);

        Assert.Equal(8, config.MaxBatchSize);
        Assert.Equal([3L, 224, 224], config.Input[0].Dims);
        Assert.Equal([1L, 3, 224, 224], config.Input[0].Reshape.Shape);
        Assert.Equal(DataType.TypeFp32, config.Output[0].DataType);
        Assert.Equal([4, 8], config.DynamicBatching.PreferredBatchSize);
        Assert.Equal(100UL, config.DynamicBatching.MaxQueueDelayMicroseconds);
        Assert.Equal("FP16", config.Optimization.ExecutionAccelerators.GpuExecutionAccelerator[0].Parameters["precision_mode"]);
    }

    [Theory]
    [InlineData("name: \"a\"\nmax_batch: 8\n", "line 2: message type \"inference.ModelConfig\" has no field named \"max_batch\"")]
    [InlineData("input { name: \"x\" data_type: TYPE_FLOAT32 }", "expected one of TYPE_INVALID")]
    [InlineData("name: \"a\"\nname: \"b\"", "line 2: non-repeated field \"name\" is specified multiple times")]
    [InlineData("max_batch_size: 8.5", "expected a 32-bit integer")]
    [InlineData("max_batch_size: 4294967296", "expected a 32-bit integer")]
    [InlineData("dynamic_batching { max_queue_delay_microseconds: -1 }", "expected an unsigned 64-bit integer")]
    [InlineData("name: a", "expected a quoted string")]
    [InlineData("input { name: \"x\"", "expected '}' before the end of the text")]
    [InlineData("name: [\"a\"]", "not a repeated field")]
    [InlineData("name: \"a", "a string is not closed")]
    public void Refuses_what_Tritons_parser_refuses(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => ProtoTextReader.Parse<ModelConfig>(text));
        Assert.Contains(message, error.Message);
    }
}
