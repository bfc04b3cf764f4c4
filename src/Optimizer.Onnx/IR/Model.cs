namespace Optimizer.Onnx.IR;

/// <summary>An operator set a model imports: a domain ("" is the default ONNX domain) and its version.</summary>
public sealed class OpsetImport(string domain, long version)
{
    public string Domain { get; set; } = domain;

    public long Version { get; set; } = version;

    internal object? Origin { get; set; }

    public override string ToString() => $"{(Domain.Length == 0 ? "ai.onnx" : Domain)}:{Version}";
}

/// <summary>A model: the main graph, the operator sets it imports, local functions and metadata.</summary>
public sealed class Model
{
    private Graph _graph = null!;
    private long _irVersion = 8;

    public Model(Graph graph) => Graph = graph;

    /// <summary>
    /// The IR version. From version 4 on, an initializer also listed among the graph inputs is a default a caller may
    /// override; before it, every initializer had to be listed as an input and stays a constant. The main graph
    /// learns which applies (<see cref="Graph.InputsOverrideInitializers"/>).
    /// </summary>
    public long IrVersion
    {
        get => _irVersion;
        set
        {
            _irVersion = value;
            _graph.InputsOverrideInitializers = value >= 4;
        }
    }

    public List<OpsetImport> OpsetImports { get; } = [];

    public string ProducerName { get; set; } = "";

    public string ProducerVersion { get; set; } = "";

    public string Domain { get; set; } = "";

    public long ModelVersion { get; set; }

    public string DocString { get; set; } = "";

    public Graph Graph
    {
        get => _graph;
        set
        {
            _graph = value;
            _graph.InputsOverrideInitializers = _irVersion >= 4;
        }
    }

    /// <summary>metadata_props in file order.</summary>
    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    public List<Function> Functions { get; } = [];

    /// <summary>The file the model was read from, if any; the writer refuses to write over it.</summary>
    public string? SourcePath { get; set; }

    internal object? Origin { get; set; }

    /// <summary>The imported version of <paramref name="domain"/> ("" or "ai.onnx" for ONNX), or null.</summary>
    public long? GetOpset(string domain = "")
    {
        var d = domain == "ai.onnx" ? "" : domain;
        return OpsetImports.FirstOrDefault(o => (o.Domain == "ai.onnx" ? "" : o.Domain) == d)?.Version;
    }

    public void SetOpset(string domain, long version)
    {
        var d = domain == "ai.onnx" ? "" : domain;
        var existing = OpsetImports.FirstOrDefault(o => (o.Domain == "ai.onnx" ? "" : o.Domain) == d);
        if (existing is null) OpsetImports.Add(new OpsetImport(domain, version));
        else existing.Version = version;
    }

    /// <summary>Every graph of the model: the main graph, its subgraphs, and function bodies with theirs.</summary>
    public IEnumerable<Graph> AllGraphs() => Graph.AllGraphs().Concat(Functions.SelectMany(f => f.Body.AllGraphs()));
}

/// <summary>
/// A model-local function (FunctionProto). Its body is a graph whose inputs and outputs are the formal parameters
/// (without types); attributes named in <see cref="AttributeNames"/> are referred to from the body by RefAttrName.
/// </summary>
public sealed class Function(string name, string domain, Graph body)
{
    public string Name { get; set; } = name;

    public string Domain { get; set; } = domain;

    public string Overload { get; set; } = "";

    public Graph Body { get; } = body;

    public List<string> AttributeNames { get; } = [];

    /// <summary>Attributes with default values (attribute_proto).</summary>
    public List<Attribute> AttributeDefaults { get; } = [];

    public List<OpsetImport> OpsetImports { get; } = [];

    public string DocString { get; set; } = "";

    internal object? Origin { get; set; }
}
