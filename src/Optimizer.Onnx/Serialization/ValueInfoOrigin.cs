using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Onnx.Serialization;

/// <summary>A ValueInfoProto as read, with the type it was read as: written back unchanged while the type is unchanged.</summary>
internal sealed record ValueInfoOrigin(ValueInfoProto Proto, TypeInfo? Type);
