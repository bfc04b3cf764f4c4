using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Locating;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Locating;

public sealed class TrtexecLocatorTests
{
    [Fact]
    public void Looks_at_the_option_then_TRTEXEC_then_PATH_then_the_install_folders()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        var explicitOne = FakeTrtexec.Wrapper(dir.File("a"), "10.9.0.34");
        var fromEnv = FakeTrtexec.Wrapper(dir.File("b"), "10.9.0.34");
        var onPath = FakeTrtexec.Wrapper(dir.File("c"), "10.9.0.34");
        var installed = FakeTrtexec.Wrapper(dir.File("d"), "10.9.0.34");
        var env = new Dictionary<string, string?> { ["TRTEXEC"] = fromEnv, ["PATH"] = dir.File("c") };
        string? Get(string name) => env.GetValueOrDefault(name);

        Assert.Equal(explicitOne, TrtexecLocator.Locate(explicitOne, Get, [dir.File("d")]));
        Assert.Equal(fromEnv, TrtexecLocator.Locate(null, Get, [dir.File("d")]));
        env["TRTEXEC"] = null;
        Assert.Equal(onPath, TrtexecLocator.Locate(null, Get, [dir.File("d")]));
        env["PATH"] = dir.File("empty");
        Assert.Equal(installed, TrtexecLocator.Locate(null, Get, [dir.File("d")]));
    }

    [Fact]
    public void Not_found_says_where_it_looked_and_how_to_point_at_it()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        var error = Assert.Throws<ExternalToolException>(() => TrtexecLocator.Locate(null, n => n == "TRTEXEC" ? dir.File("nope") : dir.Path, [dir.File("x")]));
        Assert.Equal(ExitCodes.ExternalToolFailed, error.ExitCode);
        Assert.Contains($"TRTEXEC={dir.File("nope")}", error.Message);
        Assert.Contains("PATH", error.Message);
        Assert.Contains(dir.File("x"), error.Message);
        Assert.Contains("--trtexec PATH", error.Message);
    }

    [Fact]
    public void A_bare_name_given_to_the_option_is_looked_up_on_PATH()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        var wrapper = FakeTrtexec.Wrapper(dir.File("bin"), "10.9.0.34");
        Assert.Equal(wrapper, TrtexecLocator.Locate("trtexec", n => n == "PATH" ? dir.File("bin") : null, []));
    }

    [Fact]
    public void A_non_executable_file_is_not_trtexec()
    {
        using var dir = TestKit.TestPaths.NewTempDir();
        File.WriteAllText(dir.File("trtexec"), "not a program");
        Assert.Throws<ExternalToolException>(() => TrtexecLocator.Locate(dir.File("trtexec"), _ => null, []));
    }
}
