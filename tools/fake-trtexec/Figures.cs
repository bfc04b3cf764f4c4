namespace FakeTrtexec;

/// <summary>
/// The engine's figures, computed from the model so that they change with it: size from the weights at each layer's
/// precision; compute time from the bytes each layer reads; transfer times from the opt-shape input sizes.
/// </summary>
internal static class Figures
{
    private const double BytesPerMs = 12e6; // 12 GB/s over PCIe

    public static FakePlan Plan(IReadOnlyList<InputProfile> profiles, IReadOnlyList<FakeLayer> layers,
        FakeOptions options, FakeSettings settings)
    {
        var weightBytes = layers.Sum(l => l.WeightCount * FakeLayer.BytesPerWeight(l.Precision));
        var size = 16384 + weightBytes + 256L * layers.Count;
        var layerTimes = layers.Select(l => (l.Name, Ms: 0.003 + l.WeightCount * FakeLayer.BytesPerWeight(l.Precision) * 2.5e-7)).ToList();
        var computeMs = 0.05 + layerTimes.Sum(l => l.Ms);
        var inputBytes = profiles.Sum(p => p.Opt.Aggregate(1L, (a, d) => a * d) * 4);
        var h2dMs = 0.003 + inputBytes / BytesPerMs;
        var d2hMs = 0.003 + 4096 / BytesPerMs;
        var seed = StableHash.Of(File.ReadAllBytes(options.Onnx!), StableHash.Of(string.Join(',', layers.Select(l => l.Precision))));
        return new FakePlan(settings.Version, size, seed, computeMs, h2dMs, d2hMs, layers.Count, layerTimes);
    }
}
