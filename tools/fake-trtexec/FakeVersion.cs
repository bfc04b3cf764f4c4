namespace FakeTrtexec;

/// <summary>
/// The TensorRT release the double pretends to be (TRTEXEC.md §1-2): how the banner spells it, which flags exist and
/// which messages changed wording between releases.
/// </summary>
internal sealed record FakeVersion(int Major, int Minor, int Patch, int Build)
{
    public static FakeVersion Parse(string text)
    {
        var parts = text.Trim().Split('.');
        if (parts.Length is < 2 or > 4 || !parts.All(p => int.TryParse(p, out _)))
            throw new FormatException($"fake-trtexec: bad version '{text}', expected MAJOR.MINOR[.PATCH[.BUILD]]");
        int At(int i) => i < parts.Length ? int.Parse(parts[i]) : 0;
        var version = new FakeVersion(At(0), At(1), At(2), At(3));
        if (version.Major is not (8 or 10 or 11))
            throw new FormatException($"fake-trtexec: version {text} is not emulated (8.6, 10.x and 11.x are)");
        return version;
    }

    public bool AtLeast(int major, int minor) => Major > major || (Major == major && Minor >= minor);

    /// <summary>maj*1000+min*100+patch in 8.x (v8601), maj*10000+min*100+patch from 10.x (v100300).</summary>
    public int BannerNumber => Major < 10 ? Major * 1000 + Minor * 100 + Patch : Major * 10000 + Minor * 100 + Patch;

    /// <summary>The test name of the banner: the build tag appears only from 10.4.</summary>
    public string TestName => AtLeast(10, 4)
        ? $"TensorRT.trtexec [TensorRT v{BannerNumber}] [b{Build}]"
        : $"TensorRT.trtexec [TensorRT v{BannerNumber}]";

    public string Dotted => $"{Major}.{Minor}.{Patch}";

    /// <summary>11.x: strong typing is the default and the weak-typing precision flags are gone.</summary>
    public bool StronglyTypedByDefault => Major >= 11;

    /// <summary>The coefficient of variance above which the summary warns that GPU compute time is unstable.</summary>
    public double UnstableCoefficientPercent => AtLeast(10, 10) ? 2.5 : 1.0;

    /// <summary>From 10.13 the engine size line comes before the build time line, and the cache messages changed.</summary>
    public bool NewCacheWording => AtLeast(10, 13);
}
