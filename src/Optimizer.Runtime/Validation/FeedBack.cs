using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// A recurrent model's state carried through a stream (<c>--feed-back OUTPUT=INPUT</c>): the samples are taken in order
/// and, from the second on, each model gets its own <see cref="Output"/> of the sample before as <see cref="Input"/>
/// instead of the data's, as a deployment streams it (silero VAD's <c>stateN</c> into <c>state</c>). Judged sample by
/// sample with the state the data gives, a quantized model is never asked to live with its own drift; streamed, its
/// error compounds as it does in use.
/// </summary>
public sealed record FeedBack(string Output, string Input)
{
    public override string ToString() => $"{Output}={Input}";

    /// <summary>Reads <c>OUTPUT=INPUT[,OUTPUT=INPUT...]</c>.</summary>
    public static IReadOnlyList<FeedBack> ParseList(string text)
    {
        var pairs = new List<FeedBack>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = item.IndexOf('=');
            if (at <= 0 || at == item.Length - 1)
                throw new InvalidInputException($"--feed-back '{item}': expected OUTPUT=INPUT (an output fed back as the next sample's input, e.g. stateN=state)");
            pairs.Add(new FeedBack(item[..at].Trim(), item[(at + 1)..].Trim()));
        }
        if (pairs.GroupBy(p => p.Input).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidInputException($"--feed-back: input '{twice.Key}' is fed by {twice.Count()} outputs; give each input once");
        return pairs;
    }

    /// <summary>One end of a pair as a model declares it: its name, its element type as printed and its rank (null: not known).</summary>
    public sealed record Port(string Name, string? Type, int? Rank);

    /// <summary>
    /// Refuses pairs naming an output or input <paramref name="signature"/> lacks, or of different element types (the
    /// shapes are checked sample by sample as they stream).
    /// </summary>
    public static void Check(IReadOnlyList<FeedBack> pairs, ModelSignature signature, string model)
    {
        static Port[] Ports(IEnumerable<TensorSpec> specs) => specs.Select(s => new Port(s.Name, TensorTypes.Name(s.ElementType), null)).ToArray();
        Check(pairs, Ports(signature.Inputs), Ports(signature.Outputs), model);
    }

    /// <summary>Refuses pairs naming an output or input the model lacks, or whose two ends differ in a known element type or rank.</summary>
    public static void Check(IReadOnlyList<FeedBack> pairs, IReadOnlyList<Port> inputs, IReadOnlyList<Port> outputs, string model)
    {
        foreach (var pair in pairs)
        {
            var output = outputs.FirstOrDefault(o => o.Name == pair.Output)
                         ?? throw new InvalidInputException($"--feed-back {pair}: {model} has no output '{pair.Output}' (outputs: {string.Join(", ", outputs.Select(o => o.Name))})");
            var input = inputs.FirstOrDefault(i => i.Name == pair.Input)
                        ?? throw new InvalidInputException($"--feed-back {pair}: {model} has no input '{pair.Input}' (inputs: {string.Join(", ", inputs.Select(i => i.Name))})");
            if (output.Type is { } outType && input.Type is { } inType && outType != inType)
                throw new InvalidInputException($"--feed-back {pair}: the output is {outType} but the input {inType} in {model}");
            if (output.Rank is { } outRank && input.Rank is { } inRank && outRank != inRank)
                throw new InvalidInputException($"--feed-back {pair}: the output has {outRank} dimensions but the input {inRank} in {model}");
        }
    }

    /// <summary>
    /// The first place where names in text order leave number order ("input_10" right after "input_1", before
    /// "input_2"): a stream of unpadded numbers would not run in time order. Null when the two orders agree.
    /// </summary>
    public static (string Before, string After)? OutOfNumberOrder(IEnumerable<string> ids)
    {
        static string Padded(string id) => System.Text.RegularExpressions.Regex.Replace(id, @"\d+", m => m.Value.PadLeft(20, '0'));
        var inText = ids.ToList();
        var inNumbers = inText.OrderBy(Padded, StringComparer.Ordinal).ToList();
        for (var i = 1; i < inText.Count; i++)
            if (inText[i] != inNumbers[i]) return (inText[i - 1], inText[i]);
        return null;
    }

    /// <summary>
    /// Outputs that look like the next value of an input (the output's name starts with the input's, and their element
    /// types and ranks agree: <c>state</c>/<c>stateN</c>, <c>h</c>/<c>hn</c>): a recurrent state the user may mean to stream.
    /// </summary>
    public static IReadOnlyList<FeedBack> Likely(ModelSignature signature) =>
        signature.Outputs.SelectMany(o => signature.Inputs
                .Where(i => o.Name.Length > i.Name.Length && o.Name.StartsWith(i.Name, StringComparison.Ordinal)
                            && o.ElementType == i.ElementType && o.Dims.Length == i.Dims.Length && o.Dims.Length > 0)
                .Select(i => new FeedBack(o.Name, i.Name)))
            .GroupBy(p => p.Input).Select(g => g.First())
            .ToList();
}

/// <summary>One model's state carried from each sample to the next (<see cref="FeedBack"/>).</summary>
internal sealed class FedState(IReadOnlyList<FeedBack> pairs)
{
    private Dictionary<string, HostTensor>? _carried;

    /// <summary><paramref name="sample"/> with the state the model left after the sample before (the first as it is).</summary>
    public Sample Apply(Sample sample)
    {
        if (_carried is null || pairs.Count == 0) return sample;
        var inputs = new Dictionary<string, HostTensor>(sample.Inputs, StringComparer.Ordinal);
        foreach (var (input, state) in _carried)
        {
            if (inputs.TryGetValue(input, out var given) && !given.Shape.SequenceEqual(state.Shape))
                throw new InvalidInputException($"{sample.Source}: --feed-back gives '{input}' the shape {state.ShapeText} of the sample before's output, but this sample's is {given.ShapeText}");
            inputs[input] = state;
        }
        return sample with { Inputs = inputs };
    }

    /// <summary>Keeps the state <paramref name="outputs"/> hand to the next sample.</summary>
    public void Keep(IReadOnlyDictionary<string, HostTensor> outputs)
    {
        if (pairs.Count > 0) _carried = pairs.ToDictionary(p => p.Input, p => outputs[p.Output], StringComparer.Ordinal);
    }
}
