using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// A data folder of <c>optimize MODEL</c> (--validate, --calibrate) read against MODEL's signature: the input model's,
/// which the optimized and quantized models keep (<see cref="RunnableInput"/>: upgraded when ONNX Runtime cannot load
/// it as it is). <c>--shapes</c> fixes its dynamic dimensions.
/// </summary>
public static class InputData
{
    public static DataSet Open(string folder, OptimizeOptions options)
    {
        using var session = SessionFactory.Create(RunnableInput.PathFor(options), SessionSettings.ForComparison);
        return DataSet.Open(new DataOptions { Folder = folder, Shapes = DataOptions.ParseShapes(options.Shapes) }, ModelSignature.Of(session));
    }
}
