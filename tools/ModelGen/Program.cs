using ModelGen;
using Optimizer.Onnx.Serialization;

// Generates the models the project makes itself:
//   modelgen tiny-cnn OUT.onnx          the small classifier shipped in models/
//   modelgen large OUT.onnx [GIB]       a MatMul chain with more than 2 GiB of weights (external data)
//   modelgen tiny-cnn-data DIR N SEED   N seeded .npy inputs for it (models/tiny_cnn_data/calib and validate)
if (args.Length < 2 || args[0] is not ("tiny-cnn" or "large" or "tiny-cnn-data"))
{
    Console.Error.WriteLine("usage: modelgen tiny-cnn OUT.onnx | modelgen large OUT.onnx [GIB=2.2] | modelgen tiny-cnn-data DIR N SEED");
    return 2;
}
var output = args[1];
if (args[0] == "tiny-cnn-data")
{
    TinyCnnData.Write(output, int.Parse(args[2]), int.Parse(args[3]));
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
