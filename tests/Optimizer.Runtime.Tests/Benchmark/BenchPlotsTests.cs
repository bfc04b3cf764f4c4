using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Plots;

namespace Optimizer.Runtime.Tests.Benchmark;

/// <summary>What the bench plots say: the model as the user named it, the setting, and a batch axis that fits the sweep.</summary>
public sealed class BenchPlotsTests
{
    [Fact]
    public void The_model_is_named_by_its_path_from_here_or_its_folder_never_model_onnx_alone()
    {
        var here = Path.Combine(Environment.CurrentDirectory, "out", "resnet", "model.onnx");
        Assert.Equal(Path.Combine("out", "resnet", "model.onnx"), BenchPlots.ModelName(here));
        Assert.Equal("int8/model.onnx", BenchPlots.ModelName("/elsewhere/int8/model.onnx"));
    }

    [Theory]
    [InlineData(new[] { 1.0, 8.0 }, false)]
    [InlineData(new[] { 1.0, 4.0, 16.0 }, true)]
    [InlineData(new[] { 32.0 }, false)]
    public void Batch_sizes_spanning_more_than_a_factor_of_8_get_a_logarithmic_axis(double[] sizes, bool logarithmic) =>
        Assert.Equal(logarithmic, BenchPlots.LogarithmicBatches(sizes));

    [Fact]
    public void The_setting_names_provider_threads_and_machine()
    {
        var report = new BenchReport
        {
            Model = "/m.onnx", Runtime = "onnxruntime", Provider = "cpu", Threads = 2, Data = "random", Batches = [], Machine = "2 logical cores, Unix",
        };
        Assert.Equal("cpu, threads 2, 2 logical cores, Unix", BenchPlots.Setting(report));
    }
}
