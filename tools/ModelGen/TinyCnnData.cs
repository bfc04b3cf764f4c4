using Optimizer.Runtime.Data;

namespace ModelGen;

/// <summary>
/// Sample inputs for the tiny classifier, as `.npy` files (f32[1,3,64,64]): seeded smooth colour patterns (a few
/// sinusoids per channel and a little noise), normalized as images are, so calibration and validation see
/// image-like statistics and the same files come out on every machine.
/// </summary>
public static class TinyCnnData
{
    public static void Write(string folder, int count, int seed)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < count; i++)
        {
            var random = new Random(seed + i);
            var values = new float[3 * 64 * 64];
            for (var c = 0; c < 3; c++)
            {
                var (fx, fy, phase, amp) = (random.NextDouble() * 0.3, random.NextDouble() * 0.3, random.NextDouble() * 6.28, 0.5 + random.NextDouble());
                var offset = random.NextDouble() - 0.5;
                for (var y = 0; y < 64; y++)
                    for (var x = 0; x < 64; x++)
                        values[(c * 64 + y) * 64 + x] = (float)(offset + amp * Math.Sin(fx * x + fy * y + phase) + 0.1 * (random.NextDouble() - 0.5));
            }
            NpyFormat.Write(Path.Combine(folder, $"sample_{i:D4}.npy"), HostTensor.FromArray(values, [1, 3, 64, 64]));
        }
    }
}
