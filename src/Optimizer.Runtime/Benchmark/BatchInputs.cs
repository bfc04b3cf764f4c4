using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// Inputs for one batch size: <c>batch</c> samples of the data set (cycled when it has fewer) stacked along the
/// batch axis (the first, or the one <see cref="BatchAxes"/> finds: a recurrent state's [2,batch,128] stacks along
/// axis 1), or random inputs of that batch size when there is no data folder.
/// </summary>
public static class BatchInputs
{
    public static IReadOnlyDictionary<string, HostTensor> Make(DataOptions data, ModelSignature signature, int batch) =>
        Make(data, signature, batch, out _);

    /// <param name="distinct">How many different samples of the data folder the batch holds (null for random inputs): fewer
    /// than the batch size when the folder's samples were cycled to fill it.</param>
    public static IReadOnlyDictionary<string, HostTensor> Make(DataOptions data, ModelSignature signature, int batch, out int? distinct)
    {
        distinct = null;
        CheckBatchAxes(signature, [batch]);
        if (data.Folder is null)
            return RandomInputs.Create(signature, data.Shapes, batch, new Random(data.Seed), "random").Inputs;

        var dataSet = DataSet.Open(data, signature);
        var samples = new List<Sample>(batch);
        while (samples.Count < batch)
        {
            var before = samples.Count;
            foreach (var sample in dataSet.Read())
            {
                samples.Add(sample);
                if (samples.Count == batch) break;
            }
            if (samples.Count == before) throw new InvalidInputException($"data folder '{data.Folder}' holds no samples to fill a batch");
            distinct ??= samples.Count;
        }
        var axes = BatchAxes.Of(signature);
        return samples.Count == 1 ? samples[0].Inputs
            : signature.Inputs.ToDictionary(i => i.Name, i => axes[i.Name].Shared ? Shared(i.Name, samples) : Stack(samples.Select(s => s.Inputs[i.Name]).ToList(), axes[i.Name].Axis));
    }

    /// <summary>A scalar input's one value for the whole batch: refused when the samples give it different values.</summary>
    private static HostTensor Shared(string input, IReadOnlyList<Sample> samples)
    {
        var first = samples[0];
        if (samples.FirstOrDefault(s => !s.Inputs[input].Bytes.AsSpan().SequenceEqual(first.Inputs[input].Bytes)) is { } other)
            throw new InvalidInputException($"input '{input}' is a scalar, one value for the whole batch, but samples {first.Id} and {other.Id} give it " +
                                            "different values: batch samples that share it, or bench at --batch 1");
        return first.Inputs[input];
    }

    /// <summary>
    /// Refuses every batch size but 1 that an input cannot take (no batch axis known to be dynamic, and no fixed first
    /// axis of that size), saying why: called with all the sizes of a sweep once the model is open, so that a refused
    /// size does not come after minutes of timing the others.
    /// </summary>
    public static void CheckBatchAxes(ModelSignature signature, IEnumerable<int> batches)
    {
        var axes = BatchAxes.Of(signature);
        foreach (var batch in batches.Where(b => b != 1))
            foreach (var input in signature.Inputs)
                if (axes[input.Name] is { Unknown: { } why } && (input.Dims.Length == 0 || input.Dims[0] != batch))
                    throw new InvalidInputException($"batch size {batch}: input '{input.Name}' ({input.Describe()}): {why}");
    }

    /// <summary>
    /// Concatenates tensors of the same type and rank along <paramref name="axis"/>; samples of different sizes (images
    /// read at their own width) are first padded with zeros to the largest (<see cref="TensorPadding"/>).
    /// </summary>
    public static HostTensor Stack(IReadOnlyList<HostTensor> parts, int axis = 0)
    {
        var first = parts[0];
        foreach (var p in parts)
            if (p.ElementType != first.ElementType || p.Shape.Length != first.Shape.Length || p.Shape.Length <= axis)
                throw new InvalidInputException($"cannot stack samples of shapes {first.ShapeText} and {p.ShapeText} into one batch");
        var largest = TensorPadding.LargestShape(parts);
        parts = parts.Select(p => TensorPadding.PadTo(p, largest.Select((d, a) => a == axis ? p.Shape[a] : d).ToArray())).ToList();
        first = parts[0];
        var shape = (long[])first.Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var stacked = HostTensor.Allocate(first.ElementType, shape);
        // [outer, batch, inner]: each outer index takes every part's block of its batch rows in turn
        var outer = shape.Take(axis).Aggregate(1L, (a, d) => a * d);
        var offset = 0;
        for (long o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                var block = p.Bytes.Length / (int)Math.Max(1, outer);
                p.Bytes.AsSpan((int)(o * block), block).CopyTo(stacked.Bytes.AsSpan(offset));
                offset += block;
            }
        return stacked;
    }
}
