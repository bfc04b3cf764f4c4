using Optimizer.Onnx.Errors;
using Google.Protobuf;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Onnx.Tests.Serialization;

public class FidelityTests
{
    /// <summary>Fields this schema does not know (from a newer ONNX) survive, even on objects a pass changed.</summary>
    [Fact]
    public void UnknownFieldsSurviveARoundTripAndAnEdit()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        b.Output(b.Op("Relu", [x]));
        var bytes = ModelWriter.ToBytes(b.Build());

        // Append unknown field 999 (a string) to the node, and 998 to the model.
        var proto = ModelProto.Parser.ParseFrom(bytes);
        var node = proto.Graph.Node[0];
        var nodeBytes = Concat(node.ToByteArray(), UnknownString(999, "future"));
        proto.Graph.Node[0] = NodeProto.Parser.ParseFrom(nodeBytes);
        var withUnknown = Concat(proto.ToByteArray(), UnknownString(998, "model-level"));

        var model = ModelReader.Read(new MemoryStream(withUnknown), null);
        Assert.Equal(withUnknown, ModelWriter.ToBytes(model));

        model.Graph.Nodes[0].OpType = "Sigmoid";
        model.Graph.Nodes[0].SetAttribute(Attribute.FromInt("new_attr", 0));
        var edited = ModelWriter.ToBytes(model);
        var reparsed = ModelProto.Parser.ParseFrom(edited);
        Assert.Equal("Sigmoid", reparsed.Graph.Node[0].OpType);
        Assert.Contains("future", System.Text.Encoding.UTF8.GetString(reparsed.Graph.Node[0].ToByteArray()));
        Assert.Contains("model-level", System.Text.Encoding.UTF8.GetString(edited));
        var newAttr = reparsed.Graph.Node[0].Attribute.Single(a => a.Name == "new_attr");
        Assert.True(newAttr.HasI, "a new INT attribute of 0 must still be written explicitly");
    }

    [Fact]
    public void ModelLocalFunctionsRoundTripAndRun()
    {
        // A function "AddRelu(a, b) = Relu(Add(a, b))" in domain "local", called from the main graph.
        var body = new Graph("AddRelu");
        var a = body.AddInput("a");
        var c = body.AddInput("b");
        var sum = body.AddNode("Add", [a, c], ["sum"]).Output();
        body.AddOutput(body.AddNode("Relu", [sum], ["out"]).Output());
        var function = new Function("AddRelu", "local", body);
        function.OpsetImports.Add(new OpsetImport("", 17));

        var builder = new GraphBuilder();
        builder.Model.OpsetImports.Add(new OpsetImport("local", 1));
        builder.Model.Functions.Add(function);
        var x = builder.Input("x", ElementType.Float, 4);
        var y = builder.Input("y", ElementType.Float, 4);
        var call = builder.Graph.AddNode("AddRelu", [x, y], ["z"], domain: "local");
        builder.Output(call.Output());
        var model = builder.Build();

        var bytes = ModelWriter.ToBytes(model);
        var back = ModelReader.Read(new MemoryStream(bytes), null);
        Assert.Equal(bytes, ModelWriter.ToBytes(back));
        Assert.Equal(["Add", "Relu"], back.Functions.Single().Body.Nodes.Select(n => n.OpType));

        var inputs = new Dictionary<string, TestTensor>
        {
            ["x"] = new(ElementType.Float, [4], new float[] { 1, -2, 3, -4 }),
            ["y"] = new(ElementType.Float, [4], new float[] { 1, 1, -5, 1 }),
        };
        Assert.Equal(new float[] { 2, 0, 0, 0 }, (float[])OrtRunner.Run(back, inputs)["z"].Data);
    }

    [Fact]
    public void AnUnimportedDomainIsRefusedUnlessTheNodeCallsALocalFunction()
    {
        Model Build(string domain, bool withFunction)
        {
            var builder = new GraphBuilder();
            if (withFunction)
            {
                var body = new Graph("Twice");
                var a = body.AddInput("a");
                body.AddOutput(body.AddNode("Add", [a, a], ["out"]).Output());
                var function = new Function("Twice", "local", body);
                function.OpsetImports.Add(new OpsetImport("", 17));
                builder.Model.Functions.Add(function);
            }
            var x = builder.Input("x", ElementType.Float, 4);
            builder.Output(builder.Graph.AddNode("Twice", [x], ["z"], domain: domain).Output());
            return builder.Build();
        }

        // The function resolves the call: no opset import of "local" is needed to know what it means.
        var local = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(Build("local", withFunction: true))), null);
        Assert.Equal("local", local.Graph.Nodes.Single().Domain);
        var e = Assert.Throws<InvalidInputException>(() => ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(Build("custom", withFunction: true))), null));
        Assert.Contains("uses operator domain 'custom', which the model does not import", e.Message);
    }

    [Fact]
    public void InitializersListedAsInputsStayOneValue()
    {
        // IR version 3 style: an initializer that is also a graph input (overridable at run time).
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var w = b.Initializer("w", new float[] { 1, 2 }, 2);
        b.Output(b.Op("Mul", [x, w]));
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));
        proto.Graph.Input.Add(new ValueInfoProto { Name = "w", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var bytes = proto.ToByteArray();
        var model = ModelReader.Read(new MemoryStream(bytes), null);
        var value = model.Graph.Initializers.Single();
        Assert.True(value.IsGraphInput);
        Assert.Contains(value, model.Graph.Inputs);
        Assert.Equal(bytes, ModelWriter.ToBytes(model));
    }

    private static byte[] UnknownString(int field, string text)
    {
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(text);
        output.Flush();
        return ms.ToArray();
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];
}
