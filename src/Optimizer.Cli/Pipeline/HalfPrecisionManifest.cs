using System.Text.Json.Nodes;
using Optimizer.Cli.Output;

namespace Optimizer.Cli.Pipeline;

/// <summary>The "halfPrecision" section of OUT/manifest.json: what was converted, kept float32 and why, casts, sizes.</summary>
public static class HalfPrecisionManifest
{
    public static void Write(string outDir, HalfPrecisionReport report)
    {
        var manifest = Manifest.LoadOrCreate(outDir);
        manifest.SetSection("halfPrecision", JsonNode.Parse(Json.Serialize(report)));
        manifest.Save();
    }
}
