using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Pruning;

/// <summary>
/// Channels planted as exactly zero in the real models (every weight that scores them: filters, biases, depthwise
/// filters) are the ones removed, and removing them is lossless on the reference inputs and on seeded ones.
/// </summary>
public class SharedModelPruningTests
{
    [Theory]
    [InlineData("mobilenet_v2", 6)]
    [InlineData("squeezenet1_1", 6)]
    [InlineData("bert_mini", 8)]
    public void PlantedZeroChannelsAreTheOnesRemovedLosslessly(string stem, int groupsToPlant)
    {
        var model = ModelReader.Read(TestPaths.SharedModel(stem + ".onnx"));
        var (context, _) = Pipelines.RunDefault(model);
        context.RefreshShapes(model);
        var settings = new PruningSettings { Threshold = 1e-12 };
        var analysis = ChannelAnalysis.Run(model, settings);
        // Two prunable units in each of the first groups with any.
        var planted = new HashSet<int>();
        foreach (var layer in analysis.Layers)
        {
            if (planted.Count >= 2 * groupsToPlant) break;
            var free = layer.Atoms.Select(a => analysis.Atoms.Find(a)).Where(r => analysis.Atoms.PinReason(r) is null && !planted.Contains(r)).Distinct().Take(2).ToList();
            if (free.Count == 2 && !layer.Atoms.Any(a => planted.Contains(analysis.Atoms.Find(a)))) planted.UnionWith(free);
        }
        Assert.Equal(2 * groupsToPlant, planted.Count);
        foreach (var edit in analysis.Edits.OfType<SliceConstant>().Where(e => e.Scored))
            Zero(edit, a => planted.Contains(analysis.Atoms.Find(a)));
        if (stem == "bert_mini")
        {
            // Per encoder layer, the FFN's first MatMul (1024 units) and the query, key and value projections (4 heads
            // of 64 channels, joined through the attention MatMuls): the layers writing the residual stream are pinned
            // by its LayerNorm.
            var free = analysis.Layers.Where(l => l.Atoms.Any(a => analysis.Atoms.PinReason(a) is null)).ToList();
            Assert.Equal(4, free.Count(l => l.Atoms.Length == 1024));
            Assert.Equal(12, free.Count(l => l.Atoms.Length == 256));
            Assert.All(free.Where(l => l.Atoms.Length == 256), l => Assert.Equal(4, l.Atoms.Select(analysis.Atoms.Find).Distinct().Count()));
        }
        var inputs = ReferenceData.SharedModelCase(stem).Inputs;
        var seeded = OrtRunner.SeededInputs(model, 7, new Dictionary<string, long> { ["batch"] = 1, ["seq"] = 16 });
        var plantedBytes = ModelWriter.ToBytes(model);

        var pass = new StructuredPruning(settings);
        var run = PassHarness.Run(ModelReader.Read(new MemoryStream(plantedBytes), null), pass);
        Assert.Equal(planted.Count, pass.Result!.ChannelsRemoved);
        Assert.InRange(run.MaxRelativeError(inputs: inputs), 0, 1e-5);
        Assert.InRange(run.MaxRelativeError(inputs: seeded), 0, 1e-5);
        Assert.True(pass.Result.ParametersAfter < pass.Result.ParametersBefore);
        // The planted channels are the removed ones: each planted layer lost exactly its planted channels.
        foreach (var layer in analysis.Layers)
        {
            var expected = layer.Atoms.Count(a => planted.Contains(analysis.Atoms.Find(a)));
            var report = pass.Result.Layers.Single(l => l.Layer == layer.Node.Name);
            Assert.Equal(report.ChannelsBefore - expected, report.ChannelsAfter);
        }
    }

    /// <summary>The other shared models pruned by 30 % pass the verifier, read back, and run in ONNX Runtime on their reference inputs with their output shapes.</summary>
    [Theory]
    [InlineData("mobilenet_v2_bn")]
    [InlineData("arctic_embed_xs")]
    [InlineData("ch_ppocr_mobile_v2.0_cls_infer")]
    [InlineData("ch_PP-OCRv4_det_infer")]
    [InlineData("silero_vad_legacy")]
    public void PrunedModelsVerifyAndRun(string stem)
    {
        var model = ModelReader.Read(TestPaths.SharedModel(stem + ".onnx"));
        Pipelines.RunDefault(model);
        var inputs = ReferenceData.SharedModelCase(stem).Inputs;
        var pass = new StructuredPruning(new PruningSettings { Amount = 0.3, ChannelMultiple = 8 });
        var run = PassHarness.Run(model, pass);
        Assert.True(double.IsFinite(run.MaxRelativeError(inputs: inputs)));
        if (stem != "silero_vad_legacy") Assert.True(pass.Result!.ParametersAfter < pass.Result.ParametersBefore);
    }

    /// <summary>Sets the slices of the planted atoms to zero in the constant the edit names.</summary>
    private static void Zero(SliceConstant edit, Func<int, bool> planted)
    {
        var value = edit.Node.Input(edit.Input)!;
        var tensor = Patterns.Constant(value)!;
        var data = tensor.ToArray<float>();
        var dims = tensor.Dims.ToArray();
        var inner = dims.Skip(edit.Axis + 1).Aggregate(1L, (x, y) => x * y);
        for (long i = 0; i < data.Length; i++)
            if (planted(edit.Atoms[i / inner % edit.Atoms.Length])) data[i] = 0;
        tensor.SetData(data, dims);
    }
}
