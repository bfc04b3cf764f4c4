namespace Optimizer.Runtime.Data;

/// <summary>
/// One sample of a data set: the model's inputs by name, where it came from (for messages), and when the data set
/// has them, the expected outputs (ONNX <c>output_K.pb</c>) and the class label.
/// </summary>
public sealed record Sample(
    string Id,
    string Source,
    IReadOnlyDictionary<string, HostTensor> Inputs,
    IReadOnlyDictionary<string, HostTensor>? ExpectedOutputs = null,
    int? Label = null,
    string? Text = null);
