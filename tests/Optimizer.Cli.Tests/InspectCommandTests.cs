using System.Text.Json;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

public class InspectCommandTests
{
    [Fact]
    public void JsonDescribesTheBertModel()
    {
        var result = CliRunner.Run("inspect", TestPaths.SharedModel("bert_mini.onnx"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(493, root.GetProperty("totalNodeCount").GetInt32());
        var inputs = root.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Equal(["input_ids", "attention_mask"], inputs.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal("i64", inputs[0].GetProperty("elementType").GetString());
        Assert.Equal(["batch", "seq"], inputs[0].GetProperty("dims").EnumerateArray().Select(d => d.GetString()));
        var ops = root.GetProperty("operators").EnumerateArray().ToDictionary(o => o.GetProperty("op").GetString()!, o => o.GetProperty("count").GetInt32());
        Assert.Equal(493, ops.Values.Sum());
        Assert.True(ops["MatMul"] > 0 && ops["Erf"] > 0);
    }

    [Fact]
    public void TextCountsSubgraphsAndConstantParameters()
    {
        var vad = CliRunner.Run("inspect", TestPaths.SharedModel("silero_vad_legacy.onnx"));
        Assert.Equal(0, vad.ExitCode);
        Assert.Contains("2 in the main graph, 250 in all, 18 subgraphs", vad.Stdout);
        Assert.Contains("sr: i64[]", vad.Stdout);

        var ocr = CliRunner.Run("inspect", TestPaths.SharedModel("ch_ppocr_mobile_v2.0_cls_infer.onnx"), "--json");
        using var doc = JsonDocument.Parse(ocr.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("initializers").GetProperty("tensors").GetInt32());
        Assert.True(doc.RootElement.GetProperty("constants").GetProperty("bytes").GetInt64() > 400_000);
    }
}
