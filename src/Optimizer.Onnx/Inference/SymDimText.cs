using System.Globalization;
using System.Text;

namespace Optimizer.Onnx.Inference;

/// <summary>Writes a <see cref="SymDim"/> in its canonical text (the form is described on <see cref="SymDim"/>).</summary>
internal static class SymDimText
{
    public static string Render(IReadOnlyList<SymDim.Term> terms, long constant)
    {
        if (terms.Count == 0) return constant.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        var alone = terms.Count == 1 && constant == 0;
        foreach (var term in terms)
        {
            var negative = term.Coefficient < 0;
            if (negative) text.Append('-');
            else if (text.Length > 0) text.Append('+');
            AppendProduct(text, term, wrapAll: negative || !alone);
        }
        if (constant > 0) text.Append('+');
        if (constant != 0) text.Append(constant.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static void AppendProduct(StringBuilder text, SymDim.Term term, bool wrapAll)
    {
        var magnitude = Math.Abs(term.Coefficient);
        var single = term.Atoms.Length == 1 && magnitude == 1;
        for (var i = 0; i < term.Atoms.Length; i++)
        {
            if (i > 0) text.Append('*');
            var atom = term.Atoms[i];
            // A floor division standing alone with a + sign reads unambiguously: "(H+1)//2-1".
            var bare = atom.IsSimple || (single && (!wrapAll || atom is FloorDivAtom) && term.Coefficient > 0);
            text.Append(bare ? atom.Key : "(" + atom.Key + ")");
        }
        if (magnitude != 1) text.Append('*').Append(magnitude.ToString(CultureInfo.InvariantCulture));
    }
}
