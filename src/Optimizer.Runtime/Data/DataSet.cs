using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// The one data set reader behind --data, --calibrate and --validate. <see cref="Open"/> lists the samples of a
/// folder (ONNX test_data_set folders, .npz/.npy files, or images) or makes random ones from the model's signature;
/// <see cref="Read"/> then reads them one at a time as they are used, checks each against the model and attaches
/// its label, so memory does not grow with the number of samples.
/// </summary>
public sealed class DataSet
{
    private readonly IReadOnlyList<SampleEntry> _entries;
    private readonly ModelSignature _signature;
    private readonly LabelFile? _labels;

    private DataSet(string description, IReadOnlyList<SampleEntry> entries, ModelSignature signature, LabelFile? labels, Preprocessing? preprocessing)
    {
        Description = description;
        _entries = entries;
        _signature = signature;
        _labels = labels;
        Preprocessing = preprocessing;
        if (labels is not null) NoteUnlabelled(labels);
    }

    /// <summary>What the samples are, for reports: "19 images in DIR", "100 .npy samples in DIR", "16 random samples".</summary>
    public string Description { get; }
    public int Count => _entries.Count;

    /// <summary>The samples' ids, in the order <see cref="Read"/> gives them.</summary>
    public IEnumerable<string> Ids => _entries.Select(e => e.Id);
    public bool HasLabels => _labels is not null;

    /// <summary>The folder's <c>dictionary.txt</c>: its labels are then the true text of each sample (a text recognizer's data).</summary>
    public CtcDictionary? Dictionary { get; private init; }
    public Preprocessing? Preprocessing { get; }

    public static DataSet Open(DataOptions options, ModelSignature signature)
    {
        ShapeResolver.CheckNames(signature, options.Shapes);
        if (options.Folder is null)
        {
            var count = options.RandomSamples;
            var entries = Enumerable.Range(0, count).Select(i => new SampleEntry($"random_{i:D4}",
                () => RandomInputs.Create(signature, options.Shapes, 1, new Random(options.Seed + i), $"random_{i:D4}"))).ToList();
            return new DataSet($"{count} random samples (seed {options.Seed})", entries, signature, null, null);
        }
        var folder = options.Folder;
        DataOptions.CheckFolder(folder, "data folder");
        var dictionary = CtcDictionary.ReadIfPresent(folder);
        var labels = LabelFile.ReadIfPresent(folder, text: dictionary is not null);

        var pb = PbFolder.Scan(folder, signature);
        if (pb.Count > 0) return new DataSet($"{pb.Count} ONNX test_data_set samples in {folder}", pb, signature, labels, null) { Dictionary = dictionary };
        var npy = NpyFolder.Scan(folder, signature);
        if (npy.Count > 0) return new DataSet($"{npy.Count} numpy samples in {folder}", npy, signature, labels, null) { Dictionary = dictionary };
        var images = ImageFolder.Scan(folder, signature, options.Preprocess, out var preprocessing, options.Shapes);
        if (images.Count > 0) return new DataSet($"{images.Count} images in {folder}", images, signature, labels, preprocessing) { Dictionary = dictionary };
        throw new InvalidInputException($"{folder}: no samples (expected .npy/.npz files, test_data_set_N folders or png/jpg/webp images)");
    }

    /// <summary>Reads the samples in order, one at a time, each checked against the model.</summary>
    public IEnumerable<Sample> Read()
    {
        foreach (var entry in _entries) yield return Load(entry);
    }

    private Sample Load(SampleEntry entry)
    {
        var sample = entry.Load();
        SampleChecker.Check(sample, _signature);
        if (_labels is not null && LabelOf(entry) is var (label, text)) sample = sample with { Label = label, Text = text };
        return sample;
    }

    /// <summary>
    /// At most <paramref name="count"/> samples spread evenly over the folder (all of them when it has no more), read as
    /// <see cref="Read"/> reads them: the first few of a time-ordered folder (a clip's opening frames) stand for it badly.
    /// </summary>
    /// <param name="within">Spread over the first this many samples only (calibration's --calibration-samples).</param>
    public IEnumerable<Sample> ReadSpread(int count, int? within = null)
    {
        var pool = Math.Min(within ?? _entries.Count, _entries.Count);
        if (pool <= count) return _entries.Take(pool).Select(Load);
        return Enumerable.Range(0, count).Select(i => Load(_entries[(int)((long)i * pool / count)]));
    }

    // A sample of several .npy files is named NNNN (its number) or by any of its files, <input>_NNNN(.npy), as a user
    // listing the folder would name it.
    private (int? Label, string? Text)? LabelOf(SampleEntry entry)
    {
        foreach (var id in (string[])[entry.Id, .. _signature.Inputs.Select(i => $"{i.Name}_{entry.Id}")])
        {
            var (label, text) = (_labels!.Find(id), _labels.FindText(id));
            if (label is not null || text is not null) return (label, text);
        }
        return null;
    }

    // Samples the label file does not name count in no accuracy; say so rather than report an accuracy of fewer samples
    // (or none: an accuracy gate then fails "needs labels" although the folder has them).
    private void NoteUnlabelled(LabelFile labels)
    {
        var unlabelled = _entries.Where(e => LabelOf(e) is null).Select(e => e.Id).ToList();
        if (unlabelled.Count == 0) return;
        DataNotes.Write($"{labels.Path} names {_entries.Count - unlabelled.Count} of the {_entries.Count} samples; "
                        + $"{unlabelled.Count} ({string.Join(", ", unlabelled.Take(3))}{(unlabelled.Count > 3 ? ", ..." : "")}) count in no accuracy "
                        + "(a sample is named by its file, with or without extension, or, when it is several <input>_NNNN.npy files, by NNNN or one of them)");
    }
}
