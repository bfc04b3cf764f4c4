using YamlDotNet.RepresentationModel;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The many-job side of a pipeline file: <c>jobs:</c> with shared <c>defaults:</c> merged under each job (a job's own
/// keys win; <c>validate:</c> and <c>engine:</c> merge key by key), a <c>model:</c> that is a glob (one job per file
/// it matches, in ordinal order), and <c>{model}</c> in a path or a name, which stands for the model's file name
/// without its extension (so each model of a zoo gets its own output folder, data and name).
/// </summary>
public static partial class PipelineFile
{
    /// <summary>In a name or a path: the model's file name without its extension.</summary>
    public const string ModelPlaceholder = "{model}";

    private sealed partial class Reader
    {
        private string? _stem;

        private string WithModel(string value) => _stem is null ? value : value.Replace(ModelPlaceholder, _stem, StringComparison.Ordinal);

        public IReadOnlyList<PipelineJob> Jobs(YamlMappingNode root)
        {
            var jobsKey = TopKey(root, "jobs");
            var defaultsKey = TopKey(root, "defaults");
            if (jobsKey is null)
            {
                if (defaultsKey is not null)
                    throw Error(defaultsKey, "defaults", "goes with 'jobs:'; a one-job file gives its keys directly");
                return Expand(root, null, named: false);
            }
            if (root.Children.Keys.FirstOrDefault(k => k != jobsKey && k != defaultsKey) is { } other)
                throw Error(other, KeyName(other), "a file with 'jobs:' has no other top-level keys than 'defaults:'; give it to each job or to defaults");
            if (root.Children[jobsKey] is not YamlSequenceNode { Children.Count: > 0 } list)
                throw Error(root.Children[jobsKey], "jobs", $"expected a list of jobs (- name: ...), not {Describe(root.Children[jobsKey])}");
            YamlMappingNode? defaults = null;
            if (defaultsKey is not null)
            {
                if (root.Children[defaultsKey] is not YamlMappingNode shared)
                    throw Error(root.Children[defaultsKey], "defaults", $"expected a mapping of job keys (output:, quantize:, ...), not {Describe(root.Children[defaultsKey])}");
                Check(shared, JobKeys, "defaults.");
                foreach (var own in new[] { "name", "model" })
                    if (TopKey(shared, own) is { } key)
                        throw Error(key, "defaults." + own, "each job gives its own; defaults hold the options the jobs share");
                defaults = shared;
            }
            var jobs = new List<PipelineJob>();
            foreach (var item in list)
            {
                if (item is not YamlMappingNode map) throw Error(item, "jobs", $"each job is a mapping of keys (name:, model:, ...), not {Describe(item)}");
                foreach (var job in Expand(map, defaults, named: true))
                {
                    if (jobs.Any(j => j.Name == job.Name)) throw Error(map.Start, $"name: a second job named '{job.Name}'");
                    jobs.Add(job);
                }
            }
            return jobs;
        }

        /// <summary>The job <paramref name="map"/> stands for, one per model when its <c>model:</c> is a glob.</summary>
        private List<PipelineJob> Expand(YamlMappingNode map, YamlMappingNode? defaults, bool named)
        {
            var own = Check(map, JobKeys, "");
            if (!own.TryGetValue("model", out var modelNode)) throw Error(map.Start, "model: missing; it names the ONNX model to optimize");
            var values = defaults is null ? own : Merge(Check(defaults, JobKeys, "defaults."), own);
            if (values.TryGetValue("validate", out var validate) && validate is YamlMappingNode section && TopKey(section, "data") is null)
                throw Error((own.GetValueOrDefault("validate") ?? map).Start, "validate.data: missing; it names the folder of samples to validate on");
            if (values.TryGetValue("triton", out var triton) && triton is YamlMappingNode tritonSection && TopKey(tritonSection, "repository") is null)
                throw Error((own.GetValueOrDefault("triton") ?? map).Start, "triton.repository: missing; it names the Triton model repository folder");
            _stem = null;
            var pattern = Scalar(modelNode, "model", "a path");
            var model = PathValue(pattern);
            var glob = !File.Exists(model) && PathGlob.IsPattern(model);
            var models = glob ? PathGlob.Files(model) : [model];
            if (models.Count == 0) throw Error(modelNode, "model", $"'{pattern}' matches no file");
            string? name = null;
            if (own.TryGetValue("name", out var nameNode)) name = Scalar(nameNode, "name", "a name");
            else if (glob) name = ModelPlaceholder;
            else if (named) throw Error(map.Start, "name: missing; each job under 'jobs:' has a name (a glob's jobs are named by their models)");
            var jobs = new List<PipelineJob>();
            foreach (var path in models)
            {
                _stem = Path.GetFileNameWithoutExtension(path);
                var args = new List<string> { path };
                Emit(values, JobKeys, "", args);
                jobs.Add(new PipelineJob(name is null ? null : WithModel(name), (int)Math.Max(1L, map.Start.Line), args));
            }
            _stem = null;
            return jobs;
        }

        /// <summary>The defaults with the job's keys over them; mappings (validate:, engine:) merge one level down.</summary>
        private static Dictionary<string, YamlNode> Merge(Dictionary<string, YamlNode> defaults, Dictionary<string, YamlNode> own)
        {
            var merged = new Dictionary<string, YamlNode>(defaults);
            foreach (var (key, value) in own)
                merged[key] = merged.GetValueOrDefault(key) is YamlMappingNode under && value is YamlMappingNode over
                    && JobKeys.Any(k => k.Name == key && k.Kind == Kind.Section)
                    ? new YamlMappingNode(under.Children.Where(p => !over.Children.Keys.Any(k => SameKey(k, p.Key))).Concat(over.Children))
                    : value;
            return merged;
        }

        private static bool SameKey(YamlNode a, YamlNode b) => a is YamlScalarNode x && b is YamlScalarNode y && x.Value == y.Value;

        private static YamlNode? TopKey(YamlMappingNode map, string name) =>
            map.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == name);
    }
}
