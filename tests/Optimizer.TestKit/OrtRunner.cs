using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Tensor = Optimizer.Onnx.IR.Tensor;

namespace Optimizer.TestKit;

/// <summary>A tensor value in tests: element type, shape and elements (as the matching .NET array).</summary>
public sealed record TestTensor(ElementType Type, long[] Dims, Array Data)
{
    public double[] AsDoubles() => Data switch
    {
        float[] f => f.Select(x => (double)x).ToArray(),
        double[] d => d,
        Half[] h => h.Select(x => (double)x).ToArray(),
        long[] l => l.Select(x => (double)x).ToArray(),
        int[] i => i.Select(x => (double)x).ToArray(),
        sbyte[] s => s.Select(x => (double)x).ToArray(),
        byte[] b => b.Select(x => (double)x).ToArray(),
        bool[] b => b.Select(x => x ? 1.0 : 0.0).ToArray(),
        short[] s => s.Select(x => (double)x).ToArray(),
        ushort[] s => s.Select(x => (double)x).ToArray(),
        uint[] u => u.Select(x => (double)x).ToArray(),
        ulong[] u => u.Select(x => (double)x).ToArray(),
        _ => throw new NotSupportedException(Data.GetType().Name),
    };

    public static TestTensor FromTensor(Tensor t) => new(t.ElementType, t.Dims.ToArray(), t.ElementType switch
    {
        ElementType.Float => t.ToArray<float>(),
        ElementType.Double => t.ToArray<double>(),
        ElementType.Float16 => t.ToArray<Half>(),
        ElementType.Int64 => t.ToArray<long>(),
        ElementType.Int32 => t.ToArray<int>(),
        ElementType.Int8 => t.ToArray<sbyte>(),
        ElementType.UInt8 => t.ToArray<byte>(),
        ElementType.Bool => t.ToArray<bool>(),
        ElementType.Int16 => t.ToArray<short>(),
        ElementType.UInt16 => t.ToArray<ushort>(),
        ElementType.UInt32 => t.ToArray<uint>(),
        ElementType.UInt64 => t.ToArray<ulong>(),
        _ => throw new NotSupportedException(t.ElementType.ToString()),
    });
}

/// <summary>
/// Runs models in ONNX Runtime with its graph optimizations off (so they cannot hide a bug in a pass), on seeded
/// random inputs or given ones, and compares two models' outputs.
/// </summary>
public static class OrtRunner
{
    public static Dictionary<string, TestTensor> Run(Model model, IReadOnlyDictionary<string, TestTensor> inputs) =>
        Run(ModelWriter.ToBytes(model), inputs);

    public static Dictionary<string, TestTensor> Run(byte[] modelBytes, IReadOnlyDictionary<string, TestTensor> inputs) =>
        Run(modelBytes, inputs, GraphOptimizationLevel.ORT_DISABLE_ALL);

    /// <summary>As <see cref="Run(byte[], IReadOnlyDictionary{string, TestTensor})"/> with ONNX Runtime's own optimizations at <paramref name="level"/>.</summary>
    public static Dictionary<string, TestTensor> Run(byte[] modelBytes, IReadOnlyDictionary<string, TestTensor> inputs, GraphOptimizationLevel level)
    {
        using var options = NewOptions();
        options.GraphOptimizationLevel = level;
        using var session = new InferenceSession(modelBytes, options);
        return Run(session, inputs);
    }

    /// <summary>Runs the model file at <paramref name="modelPath"/>: ONNX Runtime itself opens it and any external data files beside it.</summary>
    public static Dictionary<string, TestTensor> RunFile(string modelPath, IReadOnlyDictionary<string, TestTensor> inputs)
    {
        using var options = NewOptions();
        using var session = new InferenceSession(modelPath, options);
        return Run(session, inputs);
    }

    private static SessionOptions NewOptions() =>
        new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };

    private static Dictionary<string, TestTensor> Run(InferenceSession session, IReadOnlyDictionary<string, TestTensor> inputs)
    {
        var names = inputs.Keys.ToArray();
        var values = names.Select(n => ToOrt(inputs[n])).ToArray();
        try
        {
            using var run = new RunOptions();
            var outputNames = session.OutputNames.ToArray();
            using var outputs = session.Run(run, names, values, outputNames);
            var result = new Dictionary<string, TestTensor>();
            for (var i = 0; i < outputNames.Length; i++) result[outputNames[i]] = FromOrt(outputs[i]);
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Seeded random inputs for every true graph input; symbolic dims take <paramref name="dimValues"/> (default 1).</summary>
    public static Dictionary<string, TestTensor> SeededInputs(Model model, int seed = 42, IReadOnlyDictionary<string, long>? dimValues = null)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, TestTensor>();
        foreach (var input in model.Graph.Inputs.Where(v => !v.IsInitializer))
        {
            var type = input.TensorType ?? throw new InvalidOperationException($"input {input.Name} is not a tensor");
            var dims = type.Shape!.Dims.Select(d => d.Value ?? (d.Param is { } p && dimValues?.GetValueOrDefault(p) is > 0 and var v ? v : 1)).ToArray();
            inputs[input.Name] = Random(type.ElementType, dims, random);
        }
        return inputs;
    }

    public static TestTensor Random(ElementType type, long[] dims, Random random)
    {
        var n = (int)dims.Aggregate(1L, (a, b) => a * b);
        Array data = type switch
        {
            ElementType.Float => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(),
            ElementType.Double => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray(),
            ElementType.Float16 => Enumerable.Range(0, n).Select(_ => (Half)(random.NextDouble() * 2 - 1)).ToArray(),
            ElementType.Int64 => Enumerable.Range(0, n).Select(_ => (long)random.Next(0, 10)).ToArray(),
            ElementType.Int32 => Enumerable.Range(0, n).Select(_ => random.Next(0, 10)).ToArray(),
            ElementType.Bool => Enumerable.Range(0, n).Select(_ => random.Next(2) == 1).ToArray(),
            ElementType.UInt8 => Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)).ToArray(),
            ElementType.Int8 => Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray(),
            _ => throw new NotSupportedException($"random {type} inputs"),
        };
        return new TestTensor(type, dims, data);
    }

    /// <summary>Runs both models on the same inputs and returns the largest relative error over all outputs (by name).</summary>
    public static double MaxRelativeError(Model before, Model after, IReadOnlyDictionary<string, TestTensor> inputs)
    {
        var a = Run(before, inputs);
        var b = Run(after, inputs);
        var worst = 0.0;
        foreach (var (name, expected) in a)
        {
            if (!b.TryGetValue(name, out var actual)) throw new Xunit.Sdk.XunitException($"output '{name}' is missing after the change");
            Xunit.Assert.Equal(expected.Dims, actual.Dims);
            worst = Math.Max(worst, RelativeError(expected.AsDoubles(), actual.AsDoubles()));
        }
        return worst;
    }

    /// <summary>max |a-b| / max(max |a|, 1e-6): robust for outputs near zero.</summary>
    public static double RelativeError(double[] expected, double[] actual)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 1e-6, maxDiff = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]) != double.IsNaN(actual[i])) return double.PositiveInfinity;
            if (double.IsNaN(expected[i])) continue;
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
        }
        return maxDiff / maxAbs;
    }

    private static OrtValue ToOrt(TestTensor t) => t.Data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, t.Dims),
        double[] d => OrtValue.CreateTensorValueFromMemory(d, t.Dims),
        Half[] h => OrtValue.CreateTensorValueFromMemory(h.Select(x => new Float16(BitConverter.HalfToUInt16Bits(x))).ToArray(), t.Dims),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, t.Dims),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, t.Dims),
        bool[] b => OrtValue.CreateTensorValueFromMemory(b, t.Dims),
        byte[] b => OrtValue.CreateTensorValueFromMemory(b, t.Dims),
        sbyte[] s => OrtValue.CreateTensorValueFromMemory(s, t.Dims),
        short[] s => OrtValue.CreateTensorValueFromMemory(s, t.Dims),
        ushort[] s => OrtValue.CreateTensorValueFromMemory(s, t.Dims),
        uint[] u => OrtValue.CreateTensorValueFromMemory(u, t.Dims),
        ulong[] u => OrtValue.CreateTensorValueFromMemory(u, t.Dims),
        _ => throw new NotSupportedException(t.Data.GetType().Name),
    };

    private static TestTensor FromOrt(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        var dims = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => new(ElementType.Float, dims, v.GetTensorDataAsSpan<float>().ToArray()),
            TensorElementType.Double => new(ElementType.Double, dims, v.GetTensorDataAsSpan<double>().ToArray()),
            TensorElementType.Float16 => new(ElementType.Float16, dims, v.GetTensorDataAsSpan<Float16>().ToArray().Select(h => BitConverter.UInt16BitsToHalf(h.value)).ToArray()),
            TensorElementType.Int64 => new(ElementType.Int64, dims, v.GetTensorDataAsSpan<long>().ToArray()),
            TensorElementType.Int32 => new(ElementType.Int32, dims, v.GetTensorDataAsSpan<int>().ToArray()),
            TensorElementType.Bool => new(ElementType.Bool, dims, v.GetTensorDataAsSpan<bool>().ToArray()),
            TensorElementType.UInt8 => new(ElementType.UInt8, dims, v.GetTensorDataAsSpan<byte>().ToArray()),
            TensorElementType.Int8 => new(ElementType.Int8, dims, v.GetTensorDataAsSpan<sbyte>().ToArray()),
            TensorElementType.Int16 => new(ElementType.Int16, dims, v.GetTensorDataAsSpan<short>().ToArray()),
            TensorElementType.UInt16 => new(ElementType.UInt16, dims, v.GetTensorDataAsSpan<ushort>().ToArray()),
            TensorElementType.UInt32 => new(ElementType.UInt32, dims, v.GetTensorDataAsSpan<uint>().ToArray()),
            TensorElementType.UInt64 => new(ElementType.UInt64, dims, v.GetTensorDataAsSpan<ulong>().ToArray()),
            var other => throw new NotSupportedException($"output element type {other}"),
        };
    }
}
