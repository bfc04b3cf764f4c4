namespace FakeTrtexec;

/// <summary>An abridged form of AllOptions::help, printed on stdout.</summary>
internal static class HelpText
{
    public static void Print(FakeVersion version)
    {
        var o = Console.Out;
        o.WriteLine("=== Model Options ===");
        o.WriteLine("  --onnx=<file>               ONNX model");
        o.WriteLine();
        o.WriteLine("=== Build Options ===");
        o.WriteLine("  --minShapes=spec            Build with dynamic shapes using a profile with the min shapes provided");
        o.WriteLine("  --optShapes=spec            Build with dynamic shapes using a profile with the opt shapes provided");
        o.WriteLine("  --maxShapes=spec            Build with dynamic shapes using a profile with the max shapes provided");
        o.WriteLine("                              Input names can be wrapped with escaped single quotes (ex: 'Input:0').");
        o.WriteLine("  --memPoolSize=poolspec      Specify the size constraints of the designated memory pool(s)");
        if (version.Major < 11)
        {
            o.WriteLine("  --fp16                      Enable fp16 precision, in addition to fp32 (default = disabled)");
            o.WriteLine("  --int8                      Enable int8 precision, in addition to fp32 (default = disabled)");
            o.WriteLine("  --best                      Enable all precisions to achieve the best performance (default = disabled)");
            o.WriteLine("  --calib=<file>              Read INT8 calibration cache file");
        }
        if (version.Major >= 9)
            o.WriteLine("  --stronglyTyped             Create a strongly typed network. (default = disabled)");
        o.WriteLine("  --timingCacheFile=<file>    Save/load the serialized global timing cache");
        o.WriteLine("  --builderOptimizationLevel  Set the builder optimization level. (default is 3)");
        o.WriteLine("  --saveEngine=<file>         Save the serialized engine");
        o.WriteLine("  --loadEngine=<file>         Load a serialized engine");
        o.WriteLine();
        o.WriteLine("=== Inference Options ===");
        o.WriteLine("  --shapes=spec               Set input shapes for dynamic shapes inference inputs.");
        o.WriteLine("  --iterations=N              Run at least N inference iterations (default = 10)");
        o.WriteLine("  --warmUp=N                  Run for N milliseconds to warmup before measuring performance (default = 200)");
        o.WriteLine("  --duration=N                Run performance measurements for at least N seconds wallclock time (default = 3)");
        o.WriteLine("  --skipInference             Exit after the engine has been built and skip inference perf measurement");
        o.WriteLine();
        o.WriteLine("=== Reporting Options ===");
        o.WriteLine("  --percentile=P1,P2,P3,...   Report performance for the P1,P2,P3,... percentages (default = 90,95,99)");
        o.WriteLine("  --exportTimes=<file>        Write the timing results in a json file (default = disabled)");
        o.WriteLine("  --exportLayerInfo=<file>    Write the layer information of the engine in a json file (default = disabled)");
        o.WriteLine("  --profilingVerbosity=mode   Specify profiling verbosity. mode ::= layer_names_only|detailed|none");
        o.WriteLine();
        o.WriteLine("=== System Options ===");
        o.WriteLine("  --device=N                  Select cuda device N (default = 0)");
        o.WriteLine();
        o.WriteLine("=== Help ===");
        o.WriteLine("  --help, -h                  Print this message");
    }
}
