namespace FakeTrtexec;

/// <summary>The optimization profile of one input.</summary>
internal sealed record InputProfile(string Name, long[] Min, long[] Opt, long[] Max);

/// <summary>
/// Turns --minShapes/--optShapes/--maxShapes (or --shapes alone) into a profile per input, checking them against the
/// network as the builder does: unknown names, wrong ranks, conflicting static dims and min ≤ opt ≤ max.
/// Dynamic inputs without shapes are overridden to 1 with a warning.
/// </summary>
internal static class ProfileResolver
{
    public static (List<InputProfile> Profiles, string? Error) Resolve(OnnxNetwork network, FakeOptions options, Log log)
    {
        var min = ShapeSpec.Parse(options.Get("--minShapes"));
        var opt = ShapeSpec.Parse(options.Get("--optShapes"));
        var max = ShapeSpec.Parse(options.Get("--maxShapes"));
        var explicitProfile = min.Count + opt.Count + max.Count > 0;
        if (!explicitProfile)
        {
            var shapes = ShapeSpec.Parse(options.Get("--shapes"));
            (min, opt, max) = (shapes, shapes, shapes);
        }
        var names = network.Inputs.Select(i => i.Name).ToHashSet();
        foreach (var name in min.Keys.Concat(opt.Keys).Concat(max.Keys).Distinct().Where(n => !names.Contains(n)))
            return ([], $"Cannot find input tensor with name \"{name}\" in the network inputs! Please make sure the input tensor names are correct.");

        var profiles = new List<InputProfile>();
        foreach (var input in network.Inputs)
        {
            if (!opt.TryGetValue(input.Name, out var o))
            {
                if (min.ContainsKey(input.Name) || max.ContainsKey(input.Name))
                    return ([], $"Optimization profile for tensor {input.Name} has no optShapes.");
                o = input.Dims.Select(d => d ?? 1).ToArray();
                if (input.Dims.Any(d => d is null))
                    log.Warning($"Dynamic dimensions required for input: {input.Name}, but no shapes were provided. Automatically overriding shape to: {ShapeSpec.Format(o)}");
            }
            var warn = explicitProfile && opt.ContainsKey(input.Name);
            var mn = Broadcast(min, input.Name, o, "minShapes", warn, log);
            var mx = Broadcast(max, input.Name, o, "maxShapes", warn, log);
            var error = Check(input, mn, o, mx);
            if (error is not null) return ([], error);
            profiles.Add(new InputProfile(input.Name, mn, o, mx));
        }
        return (profiles, null);
    }

    /// <summary>An input with only an opt shape gets it as min and max too, with the builder's warning.</summary>
    private static long[] Broadcast(Dictionary<string, long[]> given, string name, long[] opt, string what, bool warn, Log log)
    {
        if (given.TryGetValue(name, out var dims)) return dims;
        if (warn) log.Warning($"optShapes is being broadcasted to {what} for tensor {name}");
        return opt;
    }

    private static string? Check(NetworkInput input, long[] min, long[] opt, long[] max)
    {
        foreach (var dims in new[] { min, opt, max })
        {
            if (dims.Length != input.Dims.Count)
                return $"[TRT] IOptimizationProfile::setDimensions: Error Code 3: API Usage Error (Parameter check failed, condition: dims.nbDims == {input.Dims.Count} for input {input.Name}.)";
            for (var i = 0; i < dims.Length; i++)
                if (input.Dims[i] is { } fixedDim && dims[i] != fixedDim)
                    return $"[TRT] {input.Name}: for dimension number {i} in profile 0 does not match network definition (got {dims[i]}, expected {fixedDim}).";
        }
        for (var i = 0; i < opt.Length; i++)
            if (!(min[i] <= opt[i] && opt[i] <= max[i]))
                return $"[TRT] IOptimizationProfile::setDimensions: Error Code 3: API Usage Error (Parameter check failed, condition: std::all_of(dims.d, dims.d + dims.nbDims, [](int32_t x) noexcept {{ return x >= 0; }}) and min <= opt <= max for input {input.Name}.)";
        return null;
    }
}
