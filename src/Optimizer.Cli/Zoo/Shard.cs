using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Optimizer.Onnx.Errors;

namespace Optimizer.Cli.Zoo;

/// <summary>
/// One of <see cref="Count"/> disjoint slices of a zoo (<c>--shard i/N</c>), 0-based as Kubernetes'
/// <c>JOB_COMPLETION_INDEX</c> and a CI matrix over <c>[0, 1, 2, 3]</c> are. A job belongs to the slice its name
/// hashes to (rendezvous hashing: the slice with the highest hash of name and slice number), never to its position,
/// so adding or removing one model moves only that model, and going from N to N+1 slices moves only about 1/(N+1)
/// of the jobs.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>The environment variable a Kubernetes Indexed Job sets to the pod's index (0-based).</summary>
    public const string IndexVariable = "JOB_COMPLETION_INDEX";

    /// <summary>The whole zoo as one slice (a run without <c>--shard</c>).</summary>
    public static Shard All { get; } = new(0, 1);

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Whether the job named <paramref name="name"/> is in this slice.</summary>
    public bool Holds(string name) => Of(name, Count) == Index;

    /// <summary>The slice (0-based) of <paramref name="count"/> that the job named <paramref name="name"/> belongs to.</summary>
    public static int Of(string name, int count)
    {
        var best = 0;
        var bestScore = 0UL;
        for (var slice = 0; slice < count; slice++)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{slice}"));
            var score = BinaryPrimitives.ReadUInt64BigEndian(hash);
            if (slice == 0 || score > bestScore) (best, bestScore) = (slice, score);
        }
        return best;
    }

    /// <summary>
    /// <c>i/N</c> (0 &lt;= i &lt; N), or <c>auto/N</c>, which takes i from <see cref="IndexVariable"/>. Anything else,
    /// and <c>auto</c> without the variable, is bad input (exit 2) naming the option.
    /// </summary>
    public static Shard Parse(string text, string? environmentIndex)
    {
        const string Expected = "expected i/N with 0 <= i < N (0-based, like JOB_COMPLETION_INDEX), or auto/N to read i from " + IndexVariable;
        var slash = text.IndexOf('/');
        if (slash < 0) throw new InvalidInputException($"--shard: '{text}': {Expected}");
        var (indexText, countText) = (text[..slash].Trim(), text[(slash + 1)..].Trim());
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            throw new InvalidInputException($"--shard: '{text}': the number of shards must be a whole number of at least 1; {Expected}");
        if (indexText == "auto")
        {
            if (environmentIndex is not { Length: > 0 })
                throw new InvalidInputException($"--shard {text}: {IndexVariable} is not set; give the index (--shard i/{count}) or run where it is set (a Kubernetes Indexed Job)");
            indexText = environmentIndex.Trim();
            if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var fromEnvironment) || fromEnvironment >= count)
                throw new InvalidInputException($"--shard {text}: {IndexVariable}='{environmentIndex}' is not an index from 0 to {count - 1}");
            return new Shard(fromEnvironment, count);
        }
        if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= count)
            throw new InvalidInputException($"--shard: '{text}': the index must be a whole number from 0 to {count - 1}; {Expected}");
        return new Shard(index, count);
    }
}
