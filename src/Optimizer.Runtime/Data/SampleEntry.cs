namespace Optimizer.Runtime.Data;

/// <summary>A sample not read yet: its id and how to read it. Data sets list entries, and read each when it is used.</summary>
public sealed record SampleEntry(string Id, Func<Sample> Load);
