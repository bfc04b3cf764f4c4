// Build, test and publish the Optimizer tool. Run: dotnet tool restore && dotnet cake [--target=Test]
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var publishDir = Argument("publish-dir", "artifacts/optimize");

Task("Build")
    .Does(() =>
{
    DotNetBuild("Optimizer.sln", new DotNetBuildSettings { Configuration = configuration });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Category=Large (the >2 GiB external-data round trip) and Category=Fuzz (thousands of mutants) run on their own:
    // dotnet cake --target=TestLarge, dotnet cake --target=TestFuzz
    DotNetTest("Optimizer.sln", new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        Filter = "Category!=Large&Category!=Fuzz",
    });
});

Task("TestLarge")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("tests/Optimizer.Onnx.Tests", new DotNetTestSettings { Configuration = configuration, NoBuild = true, Filter = "Category=Large" });
});

Task("TestFuzz")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("tests/Optimizer.Cli.Tests", new DotNetTestSettings { Configuration = configuration, NoBuild = true, Filter = "Category=Fuzz" });
});

Task("Publish")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetPublish("src/Optimizer.Cli", new DotNetPublishSettings { Configuration = configuration, OutputDirectory = publishDir });
    DotNetPack("src/Optimizer.Cli", new DotNetPackSettings { Configuration = configuration, OutputDirectory = "artifacts/packages" });
});

RunTarget(target);
