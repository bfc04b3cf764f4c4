namespace Optimizer.Runtime.Sessions;

/// <summary>What a provider option's value is, for checking it before ONNX Runtime sees it.</summary>
public enum ProviderOptionKind
{
    /// <summary>A switch: 0/1 (true/false accepted), given to ONNX Runtime as 0 or 1.</summary>
    Flag,
    /// <summary>A whole number in the option's range.</summary>
    Number,
    /// <summary>A size in bytes (0 or more).</summary>
    Bytes,
    /// <summary>One of a fixed list of names (ONNX Runtime's spelling).</summary>
    Choice,
    /// <summary>A folder ONNX Runtime writes into (a cache): made when missing, given to ONNX Runtime as a full path.</summary>
    Folder,
    /// <summary>Free text ONNX Runtime parses itself (shapes, op type lists, file names).</summary>
    Text,
    /// <summary>A memory address or a size of one (streams, allocators, byte streams): only a program can give it.</summary>
    Address,
}

/// <summary>One key an execution provider takes, with its ONNX Runtime default where reports show it.</summary>
public sealed record ProviderOptionKey(string Name, ProviderOptionKind Kind, string? Default = null, IReadOnlyList<string>? Choices = null, long Min = 0, long Max = int.MaxValue);

/// <summary>
/// The provider options the CUDA and TensorRT execution providers of ONNX Runtime 1.31 take, by ONNX Runtime's own key
/// names (the names its provider libraries parse, see cuda_execution_provider_info.cc and
/// tensorrt_execution_provider_info.cc), with the defaults of their info structs. <c>device_id</c> is not among them:
/// the device is its own setting (<see cref="SessionSettings.DeviceId"/>), the same for both providers.
/// </summary>
public static class ProviderOptionCatalog
{
    private static ProviderOptionKey Flag(string name, bool? value = false) => new(name, ProviderOptionKind.Flag, value is null ? null : value.Value ? "1" : "0");
    private static ProviderOptionKey Number(string name, long min, long max, long? value) => new(name, ProviderOptionKind.Number, value?.ToString(System.Globalization.CultureInfo.InvariantCulture), Min: min, Max: max);
    private static ProviderOptionKey Choice(string name, string value, params string[] choices) => new(name, ProviderOptionKind.Choice, value, choices);
    private static ProviderOptionKey Text(string name) => new(name, ProviderOptionKind.Text);
    private static ProviderOptionKey Address(string name) => new(name, ProviderOptionKind.Address);

    public static IReadOnlyList<ProviderOptionKey> Cuda { get; } =
    [
        new("gpu_mem_limit", ProviderOptionKind.Bytes, ulong.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Choice("arena_extend_strategy", "kNextPowerOfTwo", "kNextPowerOfTwo", "kSameAsRequested"),
        Choice("cudnn_conv_algo_search", "EXHAUSTIVE", "EXHAUSTIVE", "HEURISTIC", "DEFAULT"),
        Flag("do_copy_in_default_stream", true),
        Flag("cudnn_conv_use_max_workspace", true),
        Flag("enable_cuda_graph"),
        Flag("cudnn_conv1d_pad_to_nc1d"),
        Flag("tunable_op_enable"),
        Flag("tunable_op_tuning_enable"),
        Number("tunable_op_max_tuning_duration_ms", 0, int.MaxValue, 0),
        Flag("enable_skip_layer_norm_strict_mode"),
        Flag("prefer_nhwc"),
        Flag("use_ep_level_unified_stream"),
        Flag("use_tf32", true),
        Flag("fuse_conv_bias", null),
        Number("sdpa_kernel", 0, int.MaxValue, null),
        Address("has_user_compute_stream"),
        Address("user_compute_stream"),
        Address("gpu_external_alloc"),
        Address("gpu_external_free"),
        Address("gpu_external_empty_cache"),
    ];

    public static IReadOnlyList<ProviderOptionKey> TensorRt { get; } =
    [
        Flag("trt_fp16_enable"),
        Flag("trt_bf16_enable"),
        Flag("trt_int8_enable"),
        Text("trt_int8_calibration_table_name"),
        Flag("trt_int8_use_native_calibration_table"),
        Flag("trt_engine_cache_enable"),
        new("trt_engine_cache_path", ProviderOptionKind.Folder, ""),
        Text("trt_engine_cache_prefix"),
        Flag("trt_timing_cache_enable"),
        new("trt_timing_cache_path", ProviderOptionKind.Folder, ""),
        Flag("trt_force_timing_cache"),
        Number("trt_builder_optimization_level", 0, 5, 3),
        new("trt_max_workspace_size", ProviderOptionKind.Bytes),
        Number("trt_max_partition_iterations", 1, int.MaxValue, 1000),
        Number("trt_min_subgraph_size", 1, int.MaxValue, 1),
        Number("trt_auxiliary_streams", -1, int.MaxValue, -1),
        Flag("trt_dla_enable"),
        Number("trt_dla_core", 0, int.MaxValue, 0),
        Flag("trt_dump_subgraphs"),
        Flag("trt_weight_stripped_engine_enable"),
        Text("trt_onnx_model_folder_path"),
        Flag("trt_engine_decryption_enable"),
        Text("trt_engine_decryption_lib_path"),
        Flag("trt_force_sequential_engine_build"),
        Flag("trt_context_memory_sharing_enable"),
        Flag("trt_layer_norm_fp32_fallback"),
        Flag("trt_detailed_build_log"),
        Flag("trt_build_heuristics_enable"),
        Flag("trt_sparsity_enable"),
        Text("trt_tactic_sources"),
        Text("trt_extra_plugin_lib_paths"),
        Text("trt_profile_min_shapes"),
        Text("trt_profile_max_shapes"),
        Text("trt_profile_opt_shapes"),
        Flag("trt_cuda_graph_enable"),
        Flag("trt_dump_ep_context_model"),
        Text("trt_ep_context_file_path"),
        Choice("trt_ep_context_embed_mode", "0", "0", "1"),
        Flag("trt_engine_hw_compatible"),
        Text("trt_op_types_to_exclude"),
        Flag("trt_load_user_initializer", null),
        Text("trt_preview_features"),
        Address("trt_onnx_bytestream"),
        Address("trt_onnx_bytestream_size"),
        Address("trt_external_data_bytestream"),
        Address("trt_external_data_bytestream_size"),
    ];

    /// <summary>
    /// The keys a session on <paramref name="provider"/> takes: none on the CPU; CUDA's for cuda; TensorRT's and CUDA's
    /// for tensorrt (the CUDA provider runs the nodes TensorRT does not take).
    /// </summary>
    public static IReadOnlyList<ProviderOptionKey> For(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cuda => Cuda,
        ExecutionProvider.TensorRt => [.. TensorRt, .. Cuda],
        _ => [],
    };

    /// <summary>The provider a key belongs to, or null when neither takes it.</summary>
    public static ExecutionProvider? Owner(string key) =>
        TensorRt.Any(k => k.Name == key) ? ExecutionProvider.TensorRt : Cuda.Any(k => k.Name == key) ? ExecutionProvider.Cuda : null;

    public static ProviderOptionKey? Find(string key) => TensorRt.Concat(Cuda).FirstOrDefault(k => k.Name == key);

    /// <summary>Every key either GPU provider takes, for "did you mean".</summary>
    public static IEnumerable<string> AllNames => TensorRt.Concat(Cuda).Select(k => k.Name).Append("device_id");
}
