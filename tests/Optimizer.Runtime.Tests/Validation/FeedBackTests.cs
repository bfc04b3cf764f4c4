using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// --feed-back: a recurrent model validated as it streams, each model fed its own state, so a candidate's drift
/// compounds as in use instead of being reset by every sample's given state.
/// </summary>
public sealed class FeedBackTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    /// <summary>stateN = decay · state + x; y = stateN (a leaky integrator, the smallest recurrent model).</summary>
    private string Model(string name, float decay)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 2);
        var state = b.Input("state", ElementType.Float, 1, 2);
        var next = b.Op("Add", [b.Op("Mul", [state, b.Initializer("decay", new[] { decay }, 1)]), x]);
        b.Output(b.Op("Identity", [next]), b.Op("Identity", [next]));
        var model = b.Build();
        model.Graph.Outputs[0].Name = "y";
        model.Graph.Outputs[1].Name = "stateN";
        var path = _dir.File(name + ".onnx");
        ModelWriter.Write(model, path);
        return path;
    }

    /// <summary>Four samples of x = 1, each with the zero state a per-sample validation would hand every model.</summary>
    private string Data()
    {
        var folder = Directory.CreateDirectory(_dir.File("stream")).FullName;
        for (var i = 0; i < 4; i++)
        {
            NpyFormat.Write(Path.Combine(folder, $"x_{i:D4}.npy"), HostTensor.FromArray(new[] { 1f, 1f }, [1, 2]));
            NpyFormat.Write(Path.Combine(folder, $"state_{i:D4}.npy"), HostTensor.FromArray(new[] { 0f, 0f }, [1, 2]));
        }
        return folder;
    }

    private ValidationReport Validate(IReadOnlyList<FeedBack> feedBack) => Validator.Run(new ValidateOptions
    {
        BaselinePath = Model("baseline", 0.5f),
        CandidatePath = Model("candidate", 0.6f),
        Data = new DataOptions { Folder = Data() },
        TimeLatency = false,
        FeedBack = feedBack,
    });

    [Fact]
    public void StreamedTheCandidatesOwnStateCarriesItsDriftFromSampleToSample()
    {
        var perSample = Validate([]);
        var streamed = Validate(FeedBack.ParseList("stateN=state"));

        // every sample from the zero state: both give x = 1, no difference at all
        Assert.Equal(0, perSample.Outputs.Single(o => o.Name == "y").MaxAbsError);
        // streamed: baseline 1, 1.5, 1.75, 1.875; candidate 1, 1.6, 1.96, 2.176
        Assert.Equal(2.176 - 1.875, streamed.Outputs.Single(o => o.Name == "y").MaxAbsError, 5);
        Assert.Equal(["stateN=state"], streamed.FedBack);
        Assert.Null(perSample.FedBack);
    }

    [Fact]
    public void APairThatLooksLikeAStateIsPointedOutWhenNotFedBack()
    {
        var notes = new StringWriter();
        using (DataNotes.To(notes)) Validate([]);

        Assert.Contains("output 'stateN' looks like the next 'state' (a recurrent state)", notes.ToString());
        Assert.Contains("--feed-back stateN=state", notes.ToString());

        notes = new StringWriter();
        using (DataNotes.To(notes)) Validate(FeedBack.ParseList("stateN=state"));
        Assert.DoesNotContain("looks like", notes.ToString());
    }

    [Fact]
    public void UnpaddedNumbersThatTextOrderWouldScrambleAreFound()
    {
        Assert.Equal(("1", "10"), FeedBack.OutOfNumberOrder(["0", "1", "10", "11", "2"]));
        Assert.Equal(("input_1", "input_10"), FeedBack.OutOfNumberOrder(["input_1", "input_10", "input_2"]));
        Assert.Null(FeedBack.OutOfNumberOrder(["0000", "0001", "0010"]));
        Assert.Null(FeedBack.OutOfNumberOrder(["a", "b"]));
    }

    [Theory]
    [InlineData("hidden=state", "has no output 'hidden' (outputs: y, stateN)")]
    [InlineData("stateN=h", "has no input 'h' (inputs: x, state)")]
    [InlineData("stateN", "expected OUTPUT=INPUT")]
    [InlineData("stateN=state,y=state", "input 'state' is fed by 2 outputs")]
    public void PairsTheModelsDoNotHaveAreRefused(string pairs, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => Validate(FeedBack.ParseList(pairs)));

        Assert.Contains(message, e.Message);
    }
}
