using Optimizer.Passes.Infrastructure;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Infrastructure;

/// <summary>A meta-test: every pass of the registry has its own test file next to the mirror of its source folder.</summary>
public class EveryPassIsTestedTests
{
    [Fact]
    public void EachPassHasATestFile()
    {
        var testRoot = Path.Combine(TestPaths.RepoRoot, "tests", "Optimizer.Passes.Tests");
        foreach (var pass in PassRegistry.All)
        {
            var type = pass.GetType();
            var folder = type.Namespace!.Split('.').Last();
            var file = Path.Combine(testRoot, folder, type.Name + "Tests.cs");
            Assert.True(File.Exists(file), $"pass '{pass.Name}' ({type.Name}) has no test file {file}");
            var text = File.ReadAllText(file);
            Assert.True(text.Contains("AssertSameOutputs") || text.Contains("MaxRelativeError"), $"{file} has no numerical test");
            Assert.True(text.Contains("AssertDeclined") || text.Contains("Throws<") || text.Contains("run.Declines"), $"{file} has no negative test");
        }
    }
}
