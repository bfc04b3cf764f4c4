using Google.Protobuf;

namespace FakeTrtexec;

/// <summary>
/// The build phase for --onnx: parse and check the model, resolve the profile, plan the layers, then print the
/// figures a build prints and write the plan, the timing cache and the layer information. Returns the plan, or
/// the exit code of a failure.
/// </summary>
internal static class EngineBuild
{
    public static (FakePlan? Plan, int ExitCode) Run(FakeOptions options, FakeSettings settings, Log log)
    {
        var path = options.Onnx!;
        log.Info("Start parsing network model.");
        var network = Load(path, log);
        if (network is null) return (null, FailureChain.ParseFailed(log));
        if (OnnxChecks.Check(network) is { } refused)
        {
            log.TrtError($"ModelImporter.cpp:949: While parsing node number {refused.NodeIndex} [{refused.Node.OpType} -> \"{refused.Node.Output.FirstOrDefault()}\"]:");
            foreach (var line in refused.Message.Split('\n')) log.TrtError("ModelImporter.cpp:955: ERROR: " + line);
            return (null, FailureChain.ParseFailed(log));
        }
        log.Info($"Finished parsing network model. Parse time: {CppNumber.Format(0.004 + 0.0007 * network.Model.Graph.Node.Count)}");

        var (profiles, profileError) = ProfileResolver.Resolve(network, options, log);
        if (profileError is not null)
        {
            log.Error(profileError);
            return (null, FailureChain.BuildFailed(log));
        }
        PrecisionWarnings.Print(network, options, log);
        if (network.HasQdq && !options.StronglyTyped && !options.Int8 && !options.Best)
        {
            log.TrtError("Error[4]: IBuilder::buildSerializedNetwork: Error Code 4: API Usage Error (Int8 precision has been set for a layer or layer output, but int8 is not configured in the builder)");
            return (null, FailureChain.BuildFailed(log));
        }

        var cache = options.Get("--timingCacheFile") is { Length: > 0 } cacheFile ? new TimingCache(cacheFile, settings, log) : null;
        var cacheHit = cache?.Load() ?? false;
        if (Faults.DuringBuild(settings.Fault, log) is { } faultExit) return (null, faultExit);

        var layers = LayerPlanner.Plan(network, options);
        var plan = Figures.Plan(profiles, layers, options, settings);
        var level = options.Int("--builderOptimizationLevel", 3);
        var buildSeconds = (cacheHit ? 0.3 : 1.0) * (0.5 + 0.02 * layers.Count * (level + 1) / 4.0);
        var builtLine = $"Engine built in {CppNumber.Format(buildSeconds)} sec.";
        var sizeLine = $"Created engine with size: {CppNumber.Format(plan.Size / 1048576.0)} MiB";
        log.TrtInfo($"Detected {network.Inputs.Count} inputs and {network.Outputs.Count} output network tensors.");
        if (settings.Version.Major == 8) log.Info(builtLine);
        else if (settings.Version.NewCacheWording) { log.Info(sizeLine); log.Info(builtLine); }
        else { log.Info(builtLine); log.Info(sizeLine); }
        cache?.Save(layers);

        if (options.SaveEngine is { } save) File.WriteAllBytes(save, plan.Serialize());
        if (options.Get("--exportLayerInfo") is { } layerInfo) LayerInfoExport.Write(layerInfo, layers, network, options);
        log.TrtInfo($"Loaded engine size: {Math.Ceiling(plan.Size / 1048576.0)} MiB");
        log.Info($"Engine deserialized in {CppNumber.Format(0.01 + plan.Size / 4e9)} sec.");
        return (plan, 0);
    }

    private static OnnxNetwork? Load(string path, Log log)
    {
        if (!File.Exists(path))
        {
            log.Error($"Error[3]: Input file cannot be found: {path}");
            return null;
        }
        try
        {
            var network = OnnxNetwork.Load(path);
            var model = network.Model;
            log.TrtInfo("----------------------------------------------------------------");
            log.TrtInfo($"Input filename:   {path}");
            log.TrtInfo($"ONNX IR version:  0.0.{model.IrVersion}");
            log.TrtInfo($"Opset version:    {model.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0)?.Version ?? 0}");
            log.TrtInfo($"Producer name:    {model.ProducerName}");
            log.TrtInfo($"Producer version: {model.ProducerVersion}");
            log.TrtInfo("----------------------------------------------------------------");
            return network;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or NullReferenceException)
        {
            log.TrtError($"ModelImporter.cpp:797: Failed to parse ONNX model from file: {path}");
            return null;
        }
    }
}
