namespace FakeTrtexec;

/// <summary>
/// How a test configures the double: environment variables, or a flag file named by FAKE_TRTEXEC_CONFIG with
/// KEY=VALUE lines using the same names (the environment wins). Only the double reads these.
/// - FAKE_TRTEXEC_VERSION: 8.6.1.6, 10.9.0.34, 10.13.0.35, 11.1.0.6 … (default 10.9.0.34)
/// - FAKE_TRTEXEC_GPU / FAKE_TRTEXEC_SM / FAKE_TRTEXEC_DEVICES: the device (default an RTX 3070, SM 8.6, one device)
/// - FAKE_TRTEXEC_FAULT: none | assertion | cuda | no-gpu | build-failed | hang | killed
/// </summary>
internal sealed record FakeSettings(FakeVersion Version, string Gpu, string ComputeCapability, int Devices, string Fault)
{
    public static FakeSettings Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("FAKE_TRTEXEC_CONFIG") is { Length: > 0 } file && File.Exists(file))
            foreach (var line in File.ReadAllLines(file).Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#')))
                values[line[..line.IndexOf('=')].Trim()] = line[(line.IndexOf('=') + 1)..].Trim();
        string Get(string key, string fallback) =>
            Environment.GetEnvironmentVariable(key) is { Length: > 0 } env ? env : values.GetValueOrDefault(key, fallback);
        return new FakeSettings(
            FakeVersion.Parse(Get("FAKE_TRTEXEC_VERSION", "10.9.0.34")),
            Get("FAKE_TRTEXEC_GPU", "NVIDIA GeForce RTX 3070"),
            Get("FAKE_TRTEXEC_SM", "8.6"),
            int.Parse(Get("FAKE_TRTEXEC_DEVICES", "1")),
            Get("FAKE_TRTEXEC_FAULT", "none"));
    }
}
