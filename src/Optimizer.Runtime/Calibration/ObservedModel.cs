using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Inference;
using Optimizer.Onnx.Serialization;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// A model rewritten so that one run yields every tensor to observe: each one not yet a graph output becomes one
/// (through the IR, so the rest of the model is written back as read). Graph inputs are not outputs; they are read
/// from the sample itself. A tensor that only rearranges another one (<see cref="SameValues"/>: Reshape, Transpose, ...)
/// holds the same values, so the same statistics: the other one is observed in its place, once however many such
/// tensors share it (bert_mini asks for 32 Reshape/Transpose outputs of tensors it asks for anyway). A tensor of an
/// If/Loop/Scan body is observed through the outputs <see cref="SubgraphLifter"/> adds up to the main graph.
/// </summary>
internal sealed class ObservedModel
{
    private ObservedModel(byte[] bytes, IReadOnlyList<string> outputs, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, string> sources,
        IReadOnlyDictionary<string, ValueMap> maps, Func<long?> bytesPerSample)
    {
        BytesPerSample = bytesPerSample;
        Bytes = bytes;
        Outputs = outputs;
        Inputs = inputs;
        Sources = sources;
        Maps = maps;
    }

    /// <summary>The rewritten model.</summary>
    public byte[] Bytes { get; }

    /// <summary>Observed tensors to fetch as outputs of the run.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Observed tensors that are graph inputs, read from the sample.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>
    /// For every name asked for, the tensor observed for it (itself, or the tensor it rearranges); the values of this
    /// map are exactly <see cref="Outputs"/> and <see cref="Inputs"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    /// <summary>
    /// Computes the bytes a run returns (every observed output, by shape inference on the input shapes given to
    /// <see cref="Prepare"/>; a few tens of milliseconds, so it can run beside the session's creation); null when no
    /// shapes were given or a shape stays unknown. Call once.
    /// </summary>
    public Func<long?> BytesPerSample { get; }

    /// <summary>
    /// For every name asked for, the map from its source's values to its own: the identity for a tensor observed
    /// itself or through <see cref="SameValues"/> ops; a monotone element-wise chain (<see cref="ValueMap"/>) for one
    /// computed from another observed tensor, when <see cref="Prepare"/> was allowed such maps.
    /// </summary>
    public IReadOnlyDictionary<string, ValueMap> Maps { get; }

    /// <summary>
    /// Ops whose output holds exactly the values of their first input, rearranged: the same minimum, maximum and
    /// histogram. (Dropout is left out: in training mode it changes values.)
    /// </summary>
    public static readonly IReadOnlySet<string> SameValues = new HashSet<string>(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity",
    };

    /// <summary>
    /// Exposes <paramref name="names"/> (distinct, in order) as outputs. A name the main graph does not define, or one
    /// whose type is known and not float, is refused with an <see cref="InvalidInputException"/> naming it. With
    /// <paramref name="maps"/>, a main-graph tensor computed from another asked-for tensor by monotone element-wise
    /// steps that the predicate accepts is not exposed: its statistics are read through the map (an exact GELU's
    /// x / 1.414, erf and + 1 from its input, its 0.5 x from the product), saving ONNX Runtime the outputs.
    /// </summary>
    public static ObservedModel Prepare(byte[] modelBytes, IReadOnlyList<string> names, Func<ValueMap, bool>? maps = null,
        IReadOnlyDictionary<string, long[]>? inputShapes = null)
    {
        var model = ModelReader.Read(new MemoryStream(modelBytes, writable: false), null, "calibration model");
        var graph = model.Graph;
        var defined = new Dictionary<string, Value>(StringComparer.Ordinal);
        // Subgraphs too: a tensor of an If/Loop/Scan body is lifted to a main-graph output (SubgraphLifter).
        foreach (var g in graph.AllGraphs().ToList())
            foreach (var v in g.DefinedValues()) defined.TryAdd(v.Name, v);

        var missing = names.Where(n => !defined.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidInputException($"the model has no tensor {NameList.Format(missing)} to calibrate");
        var notFloat = names.Where(n => defined[n].TensorType is { } t && t.ElementType != ElementType.Float).ToList();
        if (notFloat.Count > 0)
            throw new InvalidInputException($"calibration observes float tensors only; {NameList.Format(notFloat)} {(notFloat.Count == 1 ? "is" : "are")} not float");

        var outputs = new List<string>();
        var inputs = new List<string>();
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var mapsByName = new Dictionary<string, ValueMap>(StringComparer.Ordinal);
        var observed = new HashSet<string>(StringComparer.Ordinal);
        var lifter = new SubgraphLifter();
        var views = maps is null ? null : new Views(graph, names.Select(n => Source(defined[n])), maps);
        foreach (var name in names)
        {
            var (root, map) = views?.Resolve(Source(defined[name])) ?? (Source(defined[name]), ValueMap.Identity);
            mapsByName[name] = map;
            var value = lifter.Lift(root);
            sources[name] = value.Name;
            if (!observed.Add(value.Name)) continue;
            if (value.IsGraphInput)
            {
                inputs.Add(value.Name);
                continue;
            }
            outputs.Add(value.Name);
            if (!value.IsGraphOutput) graph.AddOutput(value);
        }
        var bytes = ModelWriter.ToBytes(model);
        return new ObservedModel(bytes, outputs, inputs, sources, mapsByName, () => inputShapes is null ? null : OutputBytes(model, outputs, inputShapes));
    }

    /// <summary>
    /// The float32 bytes of <paramref name="outputs"/> when the graph inputs have <paramref name="inputShapes"/>, by the
    /// project's shape inference (on the model already written out, which it changes); null when one stays unknown.
    /// </summary>
    private static long? OutputBytes(Model model, IReadOnlyList<string> outputs, IReadOnlyDictionary<string, long[]> inputShapes)
    {
        try
        {
            ShapeInference.FixInputDims(model, inputShapes);
            ShapeInference.Run(model);
        }
        catch (Exception)
        {
            // an estimate only: a model the inference cannot follow is run one sample at a time
            return null;
        }
        var values = model.Graph.DefinedValues().ToDictionary(v => v.Name, StringComparer.Ordinal);
        long total = 0;
        foreach (var name in outputs)
        {
            if (!values.TryGetValue(name, out var v) || v.Shape?.TryGetStatic() is not { } dims
                || ElementCounts.TryProduct(dims) is not { } elements || elements > (long.MaxValue - total) / 4) return null;
            total += 4 * elements;
        }
        return total;
    }

    /// <summary>
    /// Finds, for an asked-for tensor of the main graph, the asked-for tensor it is computed from by monotone steps
    /// (walking back through tensors not asked for, such as the x / 1.414 before an erf), and the composed map.
    /// </summary>
    private sealed class Views(Graph graph, IEnumerable<Value> asked, Func<ValueMap, bool> accept)
    {
        private const int LongestChain = 16;
        private readonly HashSet<Value> _asked = asked.ToHashSet();
        private readonly HashSet<Node> _main = graph.Nodes.ToHashSet();
        private readonly Dictionary<Value, (Value, ValueMap)> _resolved = [];

        public (Value Root, ValueMap Map) Resolve(Value value)
        {
            if (_resolved.TryGetValue(value, out var known)) return known;
            var result = (value, ValueMap.Identity);
            var map = ValueMap.Identity;
            var current = value;
            for (var step = 0; step < LongestChain && current.Producer is { } node && _main.Contains(node); step++)
            {
                if (Step(node) is not (var input, var first)) break;
                map = first.Then(map);
                current = Source(input);
                if (!_asked.Contains(current)) continue;
                var (root, rootMap) = Resolve(current);
                var whole = rootMap.Then(map);
                if (accept(whole)) result = (root, whole);
                break;
            }
            _resolved[value] = result;
            return result;
        }

        /// <summary>The data input of <paramref name="node"/> and its step, when the node is a monotone element-wise step.</summary>
        private static (Value Input, ValueMap Step)? Step(Node node)
        {
            foreach (var input in node.Inputs)
                // the data of a step is computed or fed, never an initializer or a constant
                if (input is { Initializer: null } && input.GetConstant() is null && ValueMap.Of(node, input) is { } map)
                    return (input, map);
            return null;
        }
    }

    /// <summary>
    /// The tensor whose values <paramref name="value"/> holds: followed back through <see cref="SameValues"/> ops while
    /// their input is computed by the graph or fed to it (not a constant). These ops keep the element type, so the
    /// source of a float tensor is float.
    /// </summary>
    private static Value Source(Value value)
    {
        while (value.Producer is { IsDefaultDomain: true } node && SameValues.Contains(node.OpType)
               && node.Inputs.Count > 0 && node.Inputs[0] is { IsInitializer: false } input
               && (input.Producer is not null || input.IsGraphInput))
            value = input;
        return value;
    }

    /// <summary>
    /// Refuses observed outputs that ONNX Runtime types as something other than float (their type was not in the
    /// file, so only the loaded session knows it).
    /// </summary>
    public void CheckTypes(InferenceSession session)
    {
        var notFloat = Outputs.Where(n => session.OutputMetadata[n] is var m && (!m.IsTensor || m.ElementDataType != TensorElementType.Float)).ToList();
        if (notFloat.Count > 0)
            throw new InvalidInputException($"calibration observes float tensors only; {NameList.Format(notFloat)} {(notFloat.Count == 1 ? "is" : "are")} not float");
    }
}
