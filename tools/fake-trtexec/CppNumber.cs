using System.Globalization;

namespace FakeTrtexec;

/// <summary>
/// The default <c>std::ostream</c> format for doubles (printf <c>%g</c>, 6 significant digits): fixed notation for
/// exponents -4..5, scientific (<c>1.29477e+08</c>) otherwise, trailing zeros removed.
/// </summary>
internal static class CppNumber
{
    public static string Format(double value)
    {
        if (value == 0) return "0";
        var scientific = value.ToString("E5", CultureInfo.InvariantCulture); // -d.dddddE+ddd
        var ePos = scientific.IndexOf('E');
        var exponent = int.Parse(scientific[(ePos + 1)..], CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= 6)
        {
            var mantissa = TrimZeros(scientific[..ePos]);
            return $"{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }
        return TrimZeros(value.ToString("F" + (5 - exponent), CultureInfo.InvariantCulture));
    }

    private static string TrimZeros(string text) => text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
}
