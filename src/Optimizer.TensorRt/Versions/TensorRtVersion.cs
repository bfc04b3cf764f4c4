using System.Globalization;
using System.Text.RegularExpressions;

namespace Optimizer.TensorRt.Versions;

/// <summary>
/// A TensorRT release as trtexec's banner states it, and what that release's trtexec accepts (TRTEXEC.md §1):
/// <c>&amp;&amp;&amp;&amp; RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # …</c>. The number is
/// maj*1000+min*100+patch in 8.x and maj*10000+min*100+patch from 10.x; the build tag exists from 10.4.
/// </summary>
public sealed partial record TensorRtVersion(int Major, int Minor, int Patch, int? Build = null)
{
    [GeneratedRegex(@"\[TensorRT v(?<number>\d+)\](?: \[b(?<build>\d+)\])?")]
    private static partial Regex BannerPattern();

    public static TensorRtVersion? FromBanner(string line)
    {
        var match = BannerPattern().Match(line);
        if (!match.Success || !line.Contains("&&&&", StringComparison.Ordinal)) return null;
        var number = int.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture);
        int? build = match.Groups["build"].Success ? int.Parse(match.Groups["build"].Value, CultureInfo.InvariantCulture) : null;
        return number >= 100000
            ? new TensorRtVersion(number / 10000, number / 100 % 100, number % 100, build)
            : new TensorRtVersion(number / 1000, number / 100 % 10, number % 100, build);
    }

    public bool AtLeast(int major, int minor) => Major > major || (Major == major && Minor >= minor);

    /// <summary>The number in the banner and in calibration cache headers (8601, 100300).</summary>
    public int Number => Major < 10 ? Major * 1000 + Minor * 100 + Patch : Major * 10000 + Minor * 100 + Patch;

    /// <summary>--fp16/--int8/--best/--calib exist up to 10.x; 11.x removed them.</summary>
    public bool HasWeakTypingFlags => Major < 11;

    /// <summary>--bf16 since 9.0, removed in 11.x.</summary>
    public bool HasBf16Flag => Major >= 9 && Major < 11;

    /// <summary>--stronglyTyped since 9.0; in 11.x strong typing is the default and the flag a no-op.</summary>
    public bool HasStronglyTypedFlag => Major >= 9 && Major < 11;

    public bool StronglyTypedByDefault => Major >= 11;

    /// <summary>
    /// kINT8/kFP16 were deprecated in 10.12 ("superseded by strong typing"), so from then on a Q/DQ model is built
    /// strongly typed; earlier releases build it weakly typed with --int8 (without it the build fails).
    /// </summary>
    public bool PrefersStrongTypingForQdq => AtLeast(10, 12);

    /// <summary>Implicit INT8 calibration (deprecated in 10.1) is only fed the project's cache on 8.x.</summary>
    public bool UsesCalibrationCache => Major == 8;

    /// <summary>The header a calibration cache must carry to be used by this release.</summary>
    public string CalibrationHeader => $"TRT-{Number}-EntropyCalibration2";

    public override string ToString() => $"{Major}.{Minor}.{Patch}";

    public string WithBuild => Build is { } b ? $"{this}.{b}" : ToString();
}
