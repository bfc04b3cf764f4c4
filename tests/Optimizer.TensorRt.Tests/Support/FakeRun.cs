using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Running;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Support;

/// <summary>Runs the double directly with given arguments, in its own temp folder.</summary>
public sealed class FakeRun : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public string File(string name) => _dir.File(name);

    public async Task<(ProcessResult Run, TrtexecLog Log)> RunAsync(string version, params string[] args)
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), version);
        var run = await ProcessRunner.RunAsync(trtexec, args, null, TimeSpan.FromMinutes(1), CancellationToken.None);
        return (run, LogParser.ParseAll(run.Lines));
    }

    public string Model(string kind) { var path = _dir.File(kind + ".onnx"); TestModels.Write(kind, path); return path; }

    public void Dispose() => _dir.Dispose();
}
