using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// Makes intermediate values of a model visible to ONNX Runtime: finds them among the node outputs of the main graph and
/// of If/Loop/Scan bodies, and adds them as extra graph outputs (a body's value lifted out through its node as
/// calibration lifts it: empty when an If takes the other branch, stacked over a loop's iterations), so one run hands
/// back every layer's value beside the model's own outputs.
/// </summary>
internal sealed class ExposedValues
{
    private readonly Model _model;
    private readonly Dictionary<string, Value> _floats;

    private ExposedValues(Model model, Dictionary<string, Value> floats)
    {
        _model = model;
        _floats = floats;
    }

    /// <summary>Reads <paramref name="model"/> and finds which of <paramref name="names"/> are float node outputs of any of its graphs.</summary>
    public static ExposedValues Find(byte[] model, string displayName, IEnumerable<string> names)
    {
        var parsed = ModelReader.Read(new MemoryStream(model, writable: false), null, displayName);
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var outputs = parsed.Graph.AllNodes().SelectMany(n => n.Outputs).OfType<Value>().Where(v => wanted.Contains(v.Name)).ToList();
        // Exporters often leave intermediate values without value_info; inference tells their element type then.
        // It only reads the model here (WriteTypes off): its shapes are not needed, and ONNX Runtime infers its own.
        var inferred = outputs.Any(v => v.Type is null)
            ? ShapeInference.Run(parsed, new ShapeInferenceOptions { WriteTypes = false })
            : null;
        var floats = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var value in outputs)
        {
            var type = value.TensorType?.ElementType ?? inferred?.GetElementType(value) ?? ElementType.Undefined;
            // A value whose type nobody knows is taken as float (what a layer's output nearly always is); a value
            // known to be of another type (int8 in a quantized model, int64 shapes) is not comparable and skipped.
            // Half values (a float16/bfloat16 model) compare with float32 once widened, exactly.
            // A body's value is lifted out as float32 (the other branch's empty tensor is float32): float32 ones only.
            if (value.Type is null or TensorTypeInfo && type is ElementType.Float or ElementType.Float16 or ElementType.BFloat16 or ElementType.Undefined
                && (value.Graph?.ParentNode is null || type is ElementType.Float))
                floats[value.Name] = value;
        }
        return new ExposedValues(parsed, floats);
    }

    public bool Contains(string name) => _floats.ContainsKey(name);

    /// <summary>The node that produces <paramref name="name"/> (null when it is not one of the found values).</summary>
    public Node? Producer(string name) => _floats.GetValueOrDefault(name)?.Producer;

    /// <summary>
    /// The model with each of <paramref name="names"/> (found values) as a graph output, serialized, and the output
    /// that carries each (its own name in the main graph, the lifted output's for a body's value). A value without a
    /// type gets float of unknown shape: ONNX Runtime needs a type on every graph output.
    /// </summary>
    public byte[] WithOutputs(IEnumerable<string> names, out IReadOnlyDictionary<string, string> carriedBy)
    {
        var lifter = new Calibration.SubgraphLifter();
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var value = _floats[name];
            value.Type ??= new TensorTypeInfo(ElementType.Float, null);
            var lifted = lifter.Lift(value);
            if (!lifted.IsGraphOutput) _model.Graph.AddOutput(lifted);
            outputs[name] = lifted.Name;
        }
        carriedBy = outputs;
        return ModelWriter.ToBytes(_model);
    }
}
