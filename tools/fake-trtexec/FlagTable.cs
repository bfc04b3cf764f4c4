namespace FakeTrtexec;

/// <summary>
/// The options each emulated release recognises (sampleOptions.cpp per branch). Boolean options are true whatever
/// follows their '='; value options take the text after the first '='. Anything not listed is an unknown option.
/// </summary>
internal static class FlagTable
{
    private static readonly string[] CommonBool =
    [
        "--noBuilderCache", "--noTF32", "--refit", "--versionCompatible", "--vc", "--excludeLeanRuntime",
        "--directIO", "--safe", "--consistency", "--restricted", "--allowGPUFallback", "--exposeDMA",
        "--noDataTransfers", "--useManagedMemory", "--useSpinWait", "--threads", "--useCudaGraph", "--timeDeserialize",
        "--timeRefit", "--separateProfileRun", "--skipInference", "--verbose", "--dumpRefit", "--dumpOutput",
        "--dumpRawBindingsToFile", "--dumpProfile", "--dumpLayerInfo", "--getPlanVersionOnly", "--stripWeights",
    ];

    private static readonly string[] CommonValue =
    [
        "--onnx", "--saveEngine", "--loadEngine", "--minShapes", "--optShapes", "--maxShapes", "--minShapesCalib",
        "--optShapesCalib", "--maxShapesCalib", "--inputIOFormats", "--outputIOFormats", "--memPoolSize",
        "--profilingVerbosity", "--builderOptimizationLevel", "--maxAuxStreams", "--tacticSources", "--timingCacheFile",
        "--hardwareCompatibilityLevel", "--sparsity", "--layerDeviceTypes", "--useDLACore", "--tempdir",
        "--tempfileControls", "--shapes", "--loadInputs", "--iterations", "--warmUp", "--duration", "--sleepTime",
        "--idleTime", "--infStreams", "--persistentCacheRatio", "--avgRuns", "--percentile", "--exportTimes",
        "--exportOutput", "--exportProfile", "--exportLayerInfo", "--device", "--staticPlugins", "--dynamicPlugins",
        "--setPluginsToSerialize", "--optProfileIndex", "--avgTiming",
    ];

    /// <summary>Weak-typing precision options: removed in 11.x.</summary>
    private static readonly string[] PrecisionBool = ["--fp16", "--int8", "--best"];
    private static readonly string[] PrecisionValue = ["--calib", "--precisionConstraints", "--layerPrecisions", "--layerOutputTypes"];

    /// <summary>Removed in 10.0.</summary>
    private static readonly string[] Only8Bool = ["--explicitBatch", "--buildOnly", "--heuristic"];
    private static readonly string[] Only8Value = ["--workspace", "--minTiming", "--maxBatch", "--batch", "--nvtxMode", "--streams", "--plugins"];

    private static readonly string[] Only11Bool = ["--noCudaGraph", "--noSpinWait", "--includeDataTransfers"];
    private static readonly string[] Only11Value = ["--loadRefOutputs", "--atol", "--rtol", "--accuracyThreshold"];

    public static bool IsBool(FakeVersion v, string key) => BoolFlags(v).Contains(key);

    public static bool IsKnown(FakeVersion v, string key) => BoolFlags(v).Contains(key) || ValueFlags(v).Contains(key);

    private static HashSet<string> BoolFlags(FakeVersion v)
    {
        var set = new HashSet<string>(CommonBool, StringComparer.Ordinal);
        if (v.Major < 11) set.UnionWith(PrecisionBool);
        if (v.Major < 11 && v.Major >= 9) set.UnionWith(["--bf16", "--fp8"]);
        if (v.Major == 10) set.Add("--int4");
        if (v.Major >= 9) set.Add("--stronglyTyped");
        if (v.Major == 8) set.UnionWith(Only8Bool);
        if (v.Major >= 11) set.UnionWith(Only11Bool);
        return set;
    }

    private static HashSet<string> ValueFlags(FakeVersion v)
    {
        var set = new HashSet<string>(CommonValue, StringComparer.Ordinal);
        if (v.Major < 11) set.UnionWith(PrecisionValue);
        if (v.Major == 8) set.UnionWith(Only8Value);
        if (v.Major >= 10) set.Add("--streams"); // a deprecated alias of --infStreams from 10.0
        if (v.Major >= 11) set.UnionWith(Only11Value);
        return set;
    }
}
