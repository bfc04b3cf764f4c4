using System.Globalization;
using System.Text;

namespace FakeTrtexec;

/// <summary>
/// --dumpProfile and --exportProfile (sampleReporting.cpp, Profiler): each layer's time in every profiled query,
/// printed as trtexec prints it (<c>=== Profile (N iterations ) ===</c>, then a row per layer that ran: name padded to
/// the longest name + 1, total ms with 2 decimals, average and median with 4, share with 1, then the Total row) and
/// exported as <c>[{"count":N}, {"name","timeMs","averageMs","medianMs","percentage"}…]</c> (medianMs from 8.4 on;
/// numbers in the ostream default format). The double profiles as many queries as the timed run made; a layer's time
/// per query is its share of the plan's compute time, with the same ±3 % jitter as the timing loop.
/// </summary>
internal static class LayerProfile
{
    public static void Report(FakePlan plan, FakeOptions options, int queries, Log log)
    {
        var layers = plan.LayerTimes ?? [];
        var random = new Random(unchecked((int)(plan.Seed ^ 0x5eed)));
        var times = layers.Select(_ => new double[queries]).ToArray();
        for (var q = 0; q < queries; q++)
            for (var i = 0; i < layers.Count; i++)
                times[i][q] = layers[i].Ms * (1 + (random.NextDouble() - 0.5) * 0.06);
        var total = times.Sum(t => t.Sum());
        if (options.Has("--dumpProfile")) Print(layers, times, queries, total, log);
        if (options.Get("--exportProfile") is { } path) Export(path, layers, times, queries, total);
    }

    private static void Print(IReadOnlyList<(string Name, double Ms)> layers, double[][] times, int queries, double total, Log log)
    {
        var nameLength = Math.Max(layers.Select(l => l.Name.Length + 1).DefaultIfEmpty(0).Max(), "Layer".Length);
        log.Blank();
        log.Info($"=== Profile ({queries} iterations ) ===");
        log.Info("Layer".PadLeft(nameLength) + "   Time (ms)" + "   Avg. Time (ms)" + "   Median Time (ms)" + "   Time %");
        for (var i = 0; i < layers.Count; i++)
            log.Info(Row(layers[i].Name, times[i].Sum(), times[i].Sum() / queries, Median(times[i]), times[i].Sum() / total * 100, nameLength));
        var perQuery = Enumerable.Range(0, queries).Select(q => times.Sum(t => t[q])).ToArray();
        log.Info(Row("Total", total, total / queries, Median(perQuery), 100, nameLength));
        log.Blank();
    }

    private static string Row(string name, double totalMs, double averageMs, double medianMs, double percent, int nameLength) =>
        name.PadLeft(nameLength) + F(totalMs, 2, "   Time (ms)".Length) + F(averageMs, 4, "   Avg. Time (ms)".Length)
        + F(medianMs, 4, "   Median Time (ms)".Length) + F(percent, 1, "   Time %".Length);

    private static string F(double value, int decimals, int width) => value.ToString("F" + decimals, CultureInfo.InvariantCulture).PadLeft(width);

    private static void Export(string path, IReadOnlyList<(string Name, double Ms)> layers, double[][] times, int queries, double total)
    {
        var text = new StringBuilder();
        text.Append("[\n  { \"count\" : ").Append(queries).Append(" }\n");
        for (var i = 0; i < layers.Count; i++)
            text.Append($", {{ \"name\" : \"{layers[i].Name}\", \"timeMs\" : {CppNumber.Format(times[i].Sum())}, \"averageMs\" : {CppNumber.Format(times[i].Sum() / queries)}, " +
                        $"\"medianMs\" : {CppNumber.Format(Median(times[i]))}, \"percentage\" : {CppNumber.Format(times[i].Sum() / total * 100)} }}\n");
        text.Append("]\n");
        File.WriteAllText(path, text.ToString());
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0) return 0;
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
