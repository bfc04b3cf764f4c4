using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Tests.Flags;

public sealed class FlagBuilderTests
{
    private static readonly TensorRtVersion V109 = new(10, 9, 0, 34);
    private static readonly BuildPaths Paths = new("/m/model.onnx", "/o/.plan.tmp", "/o/layers.json", "/o/times.json", "/c/timing.cache", null);

    private static ModelFacts Model(params (string Name, long?[] Dims)[] inputs) =>
        new(inputs.Select(i => new InputFact(i.Name, i.Dims.Select(d => new DimFact(d, d is null ? "n" : null)).ToList())).ToList(), false, false, []);

    [Fact]
    public void Every_option_is_one_flag_equals_value_token_and_the_identity_hides_the_paths()
    {
        var flags = FlagBuilder.Build(V109, Model(("x", [1, 3])), new BuildSettings { WorkspaceMiB = 2048, OptimizationLevel = 4, Device = 1 }, Paths);

        Assert.All(flags.Args, a => Assert.Matches("^--[A-Za-z0-9]+(=.+)?$", a));
        Assert.Contains("--memPoolSize=workspace:2048", flags.Args);
        Assert.Contains("--builderOptimizationLevel=4", flags.Args);
        Assert.Contains("--device=1", flags.Args);
        Assert.Contains("--saveEngine=/o/.plan.tmp", flags.Args);
        Assert.Contains("--saveEngine={model.plan}", flags.Identity);
        Assert.DoesNotContain(flags.Identity, f => f.Contains("/o/") || f.Contains("/m/"));
        Assert.DoesNotContain(flags.Args, f => f.StartsWith("--minShapes"));
    }

    [Fact]
    public void Dynamic_inputs_get_a_profile_and_names_with_colons_are_quoted()
    {
        var model = Model(("input:0", [null, 3, null]), ("mask", [null, 128]));
        var settings = new BuildSettings { Shapes = new ShapeRequest(Min: "input:0:1x3x64,mask:1x128", Opt: "input:0:4x3x128", Max: "input:0:8x3x256,mask:8x128") };
        var flags = FlagBuilder.Build(V109, model, settings, Paths);

        Assert.Contains("--minShapes='input:0':1x3x64,mask:1x128", flags.Args);
        Assert.Contains("--optShapes='input:0':4x3x128,mask:1x128", flags.Args);
        Assert.Contains("--maxShapes='input:0':8x3x256,mask:8x128", flags.Args);
    }

    [Theory]
    [InlineData("other:1x3", "unknown input")]
    [InlineData("x:1x3x5", "has rank 3")]
    [InlineData("x:1x4", "fixes at 3")]
    [InlineData("x:1y3", "is not a list of sizes")]
    public void Bad_shapes_are_input_errors(string shapes, string message)
    {
        var settings = new BuildSettings { Shapes = new ShapeRequest(shapes) };
        var error = Assert.Throws<InvalidInputException>(() => FlagBuilder.Build(V109, Model(("x", [null, 3])), settings, Paths));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Min_above_max_is_an_input_error() =>
        Assert.Contains("min <= opt <= max", Assert.Throws<InvalidInputException>(() => FlagBuilder.Build(V109, Model(("x", [null])),
            new BuildSettings { Shapes = new ShapeRequest(Min: "x:8", Opt: "x:4", Max: "x:16") }, Paths)).Message);

    [Fact]
    public void A_name_trtexec_cannot_express_is_refused() =>
        Assert.Contains("cannot express", Assert.Throws<InvalidInputException>(() => FlagBuilder.Build(V109, Model(("a,b", [null])), new BuildSettings(), Paths)).Message);

    [Fact]
    public void Pass_through_options_replace_generated_ones_but_not_the_files_the_builder_reads()
    {
        var flags = FlagBuilder.Build(V109, Model(), new BuildSettings { Device = 0, ExtraArgs = ["--device=2", "--useCudaGraph"] }, Paths);
        Assert.Equal(["--device=2"], flags.Args.Where(a => a.StartsWith("--device")));
        Assert.Equal("--useCudaGraph", flags.Args[^1]);
        Assert.Contains("replaces the builder's own --device", Assert.Single(flags.Warnings));

        foreach (var bad in new[] { "--saveEngine=x.plan", "useCudaGraph", "-v" })
            Assert.Throws<InvalidInputException>(() => FlagBuilder.Build(V109, Model(), new BuildSettings { ExtraArgs = [bad] }, Paths));
    }
}
