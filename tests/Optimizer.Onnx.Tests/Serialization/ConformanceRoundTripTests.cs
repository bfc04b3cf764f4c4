using Optimizer.Onnx.Serialization;
using Optimizer.Onnx.Verification;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

/// <summary>
/// Every model of ONNX's backend test suite and every shared real model, read into the IR and written back, is
/// byte-identical to its input and passes the verifier. The one change the writer makes on purpose: absent optional
/// inputs at the end of a node ("" names) are left out (see <see cref="TrailingEmptyInputs"/>), so such a model is
/// compared with its own bytes stripped of them (two backend models, the Clip ones with neither bound).
/// </summary>
public class ConformanceRoundTripTests
{
    [Fact]
    public void BackendSuiteModelsRoundTripByteIdentical()
    {
        var models = TestPaths.BackendModels().ToList();
        Assert.True(models.Count > 1000, $"expected the libonnx-testdata suite (apt-get install libonnx-testdata); found {models.Count} models");
        var failures = new List<string>();
        foreach (var path in models)
        {
            var problem = RoundTrip(path);
            if (problem is not null) failures.Add($"{Path.GetRelativePath(TestPaths.OnnxBackendData, path)}: {problem}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {models.Count} models failed:\n" + string.Join("\n", failures.Take(40)));
    }

    [Fact]
    public void SharedModelsRoundTripByteIdentical()
    {
        var models = TestPaths.SharedModelFiles().ToList();
        Assert.True(models.Count >= TestPaths.MinSharedModels, $"expected the shared models in {TestPaths.SharedModels}");
        foreach (var path in models)
            Assert.Null(RoundTrip(path));
    }

    private static string? RoundTrip(string path)
    {
        var original = ExternalDataPaths.CheckModelFile(path).TrailingEmptyInputs ? TrailingEmptyInputs.Strip(path) : File.ReadAllBytes(path);
        var model = ModelReader.Read(path);
        var problems = ModelVerifier.Verify(model, requireTopologicalOrder: false);
        if (problems.Count > 0) return "verifier: " + problems[0];
        var written = ModelWriter.ToBytes(model);
        if (written.AsSpan().SequenceEqual(original)) return null;
        var at = written.AsSpan().CommonPrefixLength(original);
        return $"written {written.Length} bytes differ from the original {original.Length} at offset {at}";
    }
}
