using ModelGen;
using Optimizer.Onnx.Serialization;

// Generates the models the project makes itself:
//   modelgen tiny-cnn OUT.onnx          the small classifier shipped in models/
//   modelgen large OUT.onnx [GIB]       a MatMul chain with more than 2 GiB of weights (external data)
//   modelgen tiny-cnn-data DIR N SEED   N seeded .npy inputs for it (models/tiny_cnn_data/calib and validate)
//   modelgen identity-chain OUT.onnx N  N Identity nodes in a chain (how passes scale with nodes)
//   modelgen nested-if OUT.onnx DEPTH   Ifs nested DEPTH deep in their then-branches (how passes scale with nesting)
if (args.Length < 2 || args[0] is not ("tiny-cnn" or "large" or "tiny-cnn-data" or "identity-chain" or "nested-if")
    || (args[0] is "identity-chain" or "nested-if" && (args.Length < 3 || !int.TryParse(args[2], out var size) || size < 1)))
{
    Console.Error.WriteLine("usage: modelgen tiny-cnn OUT.onnx | modelgen large OUT.onnx [GIB=2.2] | modelgen tiny-cnn-data DIR N SEED"
        + " | modelgen identity-chain OUT.onnx N | modelgen nested-if OUT.onnx DEPTH");
    return 2;
}
var output = args[1];
if (args[0] == "tiny-cnn-data")
{
    TinyCnnData.Write(output, int.Parse(args[2]), int.Parse(args[3]));
}
else if (args[0] == "identity-chain")
{
    ModelWriter.Write(ScaleModels.IdentityChain(int.Parse(args[2])), output, new ModelWriteOptions { ExternalData = ExternalDataMode.Never });
}
else if (args[0] == "nested-if")
{
    ModelWriter.Write(ScaleModels.NestedIf(int.Parse(args[2])), output, new ModelWriteOptions { ExternalData = ExternalDataMode.Never });
}
else if (args[0] == "tiny-cnn")
{
    ModelWriter.Write(TinyCnn.Create(), output, new ModelWriteOptions { ExternalData = ExternalDataMode.Never });
}
else
{
    var gib = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2.2;
    ModelWriter.Write(LargeModel.Create(gib), output);
}
Console.WriteLine($"wrote {output}");
return 0;
