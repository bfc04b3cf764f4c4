namespace Optimizer.TensorRt.Logs;

/// <summary>Where a trtexec run is, read from its log: shown as progress.</summary>
public enum BuildPhase { Starting, Parsing, Building, LoadingEngine, Inference, Finished }
