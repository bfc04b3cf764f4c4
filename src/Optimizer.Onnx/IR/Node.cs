namespace Optimizer.Onnx.IR;

/// <summary>
/// An operator application. Inputs may be null (an omitted optional input, written as ""), and so may outputs.
/// Changing an input through <see cref="SetInput"/> keeps the use lists of the old and new value consistent.
/// </summary>
public sealed class Node
{
    private readonly List<Value?> _inputs = [];
    private readonly List<Value?> _outputs = [];
    private readonly List<Attribute> _attributes = [];

    /// <summary>Creates a node whose outputs are new values named <paramref name="outputNames"/> ("" for an omitted output).</summary>
    public Node(string opType, IEnumerable<Value?> inputs, IEnumerable<string> outputNames, string domain = "", string name = "")
    {
        OpType = opType;
        Domain = domain;
        Name = name;
        foreach (var input in inputs) AddInput(input);
        foreach (var outputName in outputNames)
        {
            if (outputName.Length == 0)
            {
                _outputs.Add(null);
                continue;
            }
            _outputs.Add(new Value(outputName) { Producer = this, ProducerOutputIndex = _outputs.Count });
        }
    }

    public string OpType { get; set; }

    /// <summary>The operator set domain: "" (or "ai.onnx") is the default ONNX domain.</summary>
    public string Domain { get; set; }

    public string Name { get; set; }

    public string Overload { get; set; } = "";

    public string DocString { get; set; } = "";

    public Graph? Graph { get; internal set; }

    public IReadOnlyList<Value?> Inputs => _inputs;

    public IReadOnlyList<Value?> Outputs => _outputs;

    public IReadOnlyList<Attribute> Attributes => _attributes;

    /// <summary>The serialized form this node was read from (keeps metadata and unknown fields).</summary>
    internal object? Origin { get; set; }

    public bool IsDefaultDomain => Domain is "" or "ai.onnx";

    public bool IsConstantNode => OpType == "Constant" && IsDefaultDomain;

    /// <summary>Input <paramref name="index"/>, or null when it is omitted or beyond the inputs given.</summary>
    public Value? Input(int index) => index < _inputs.Count ? _inputs[index] : null;

    public Value Output(int index = 0) => _outputs[index] ?? throw new InvalidOperationException($"{this} has no output {index}");

    public void SetInput(int index, Value? value)
    {
        _inputs[index]?.RemoveUse(this, index);
        _inputs[index] = value;
        value?.AddUse(this, index);
    }

    /// <summary>Points input <paramref name="index"/> at <paramref name="value"/> when the old value has already dropped the use.</summary>
    internal void RebindInput(int index, Value? value)
    {
        _inputs[index] = value;
        value?.AddUse(this, index);
    }

    public void AddInput(Value? value)
    {
        _inputs.Add(value);
        value?.AddUse(this, _inputs.Count - 1);
    }

    /// <summary>Removes trailing inputs from <paramref name="count"/> on.</summary>
    public void TruncateInputs(int count)
    {
        for (var i = _inputs.Count - 1; i >= count; i--)
        {
            _inputs[i]?.RemoveUse(this, i);
            _inputs.RemoveAt(i);
        }
    }

    /// <summary>Replaces output <paramref name="index"/> with a new value (the old one must be unused).</summary>
    public Value SetOutput(int index, string name)
    {
        var old = _outputs[index];
        if (old is not null && (old.Uses.Count > 0 || old.IsGraphOutput))
            throw new InvalidOperationException($"output '{old.Name}' of {this} is still used");
        var value = new Value(name) { Producer = this, ProducerOutputIndex = index, Graph = Graph };
        _outputs[index] = value;
        return value;
    }

    /// <summary>Removes trailing outputs from <paramref name="count"/> on; refuses (node unchanged) when one is still used.</summary>
    public void TruncateOutputs(int count)
    {
        for (var i = count; i < _outputs.Count; i++)
            if (_outputs[i] is { } o && (o.Uses.Count > 0 || o.IsGraphOutput))
                throw new InvalidOperationException($"output '{o.Name}' of {this} is still used");
        _outputs.RemoveRange(count, Math.Max(0, _outputs.Count - count));
    }

    /// <summary>Adds an output value at the end.</summary>
    public Value AddOutput(string name)
    {
        var value = new Value(name) { Producer = this, ProducerOutputIndex = _outputs.Count, Graph = Graph };
        _outputs.Add(value);
        return value;
    }

    /// <summary>Detaches this node from its inputs' use lists (when it leaves a graph).</summary>
    internal void DetachInputs()
    {
        for (var i = 0; i < _inputs.Count; i++) _inputs[i]?.RemoveUse(this, i);
    }

    internal void ReattachInputs()
    {
        for (var i = 0; i < _inputs.Count; i++) _inputs[i]?.AddUse(this, i);
    }

    // ---- attributes ----

    public Attribute? GetAttribute(string name) => _attributes.Find(a => a.Name == name);

    public bool HasAttribute(string name) => GetAttribute(name) is not null;

    /// <summary>Adds an attribute, or replaces the one of the same name in place (order is kept).</summary>
    public void SetAttribute(Attribute attribute)
    {
        var i = _attributes.FindIndex(a => a.Name == attribute.Name);
        if (i >= 0) _attributes[i] = attribute;
        else _attributes.Add(attribute);
        foreach (var g in attribute.Subgraphs) g.AttachTo(this);
    }

    public bool RemoveAttribute(string name) => _attributes.RemoveAll(a => a.Name == name) > 0;

    public long GetInt(string name, long defaultValue) => GetAttribute(name) is { Kind: AttributeKind.Int } a ? a.Int : defaultValue;

    public float GetFloat(string name, float defaultValue) => GetAttribute(name) is { Kind: AttributeKind.Float } a ? a.Float : defaultValue;

    public string GetString(string name, string defaultValue) => GetAttribute(name) is { Kind: AttributeKind.String } a ? a.String : defaultValue;

    public long[]? GetInts(string name) => GetAttribute(name) is { Kind: AttributeKind.Ints } a ? a.Ints : null;

    public float[]? GetFloats(string name) => GetAttribute(name) is { Kind: AttributeKind.Floats } a ? a.Floats : null;

    public Tensor? GetTensor(string name) => GetAttribute(name) is { Kind: AttributeKind.Tensor } a ? a.Tensor : null;

    /// <summary>The graphs held by this node's attributes (If branches, Loop and Scan bodies).</summary>
    public IEnumerable<Graph> Subgraphs => _attributes.SelectMany(a => a.Subgraphs);

    public override string ToString() => $"{OpType}" + (Name.Length > 0 ? $" '{Name}'" : "") + (_outputs.Count > 0 && _outputs[0] is { } o ? $" -> %{o.Name}" : "");
}
