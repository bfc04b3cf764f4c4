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

// Self-contained single-file builds for edge devices and other desktops (no .NET needed there), each checked to
// carry its platform's ONNX Runtime library inside the bundle: dotnet cake --target=PublishEdge
Task("PublishEdge")
    .Does(() =>
{
    var platforms = new Dictionary<string, string>
    {
        ["linux-x64"] = "libonnxruntime.so",
        ["linux-arm64"] = "libonnxruntime.so",
        ["win-x64"] = "onnxruntime.dll",
        ["osx-arm64"] = "libonnxruntime.dylib",
    };
    foreach (var (rid, library) in platforms)
    {
        var output = $"artifacts/edge/{rid}";
        DotNetPublish("src/Optimizer.Cli", new DotNetPublishSettings
        {
            Configuration = configuration,
            Runtime = rid,
            SelfContained = true,
            PublishSingleFile = true,
            OutputDirectory = output,
            MSBuildSettings = new DotNetMSBuildSettings().WithProperty("IncludeNativeLibrariesForSelfExtract", "true").WithProperty("DebugType", "none"),
        });
        var executable = System.IO.Path.Combine(output, rid.StartsWith("win") ? "optimize.exe" : "optimize");
        // The bundle's manifest names every file it carries: the platform's ONNX Runtime library must be among them.
        var bytes = System.IO.File.ReadAllBytes(executable);
        var name = System.Text.Encoding.UTF8.GetBytes(library);
        if (bytes.AsSpan().IndexOf(name) < 0) throw new Exception($"{executable} does not carry {library}");
        Information($"{rid}: {executable}, {bytes.Length / 1048576.0:0.0} MiB, carries {library}");
    }
});

// The GPU flavour: the same sources linked against ONNX Runtime's GPU package (CUDA and TensorRT providers).
Task("PublishGpu")
    .Does(() =>
{
    DotNetPublish("src/Optimizer.Cli", new DotNetPublishSettings
    {
        Configuration = configuration,
        OutputDirectory = "artifacts/optimize-gpu",
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("OnnxRuntimeFlavour", "gpu"),
    });
});

// What CI checks of the GPU flavour on a machine without a GPU: it runs bench and validate on the CPU provider, and
// asking for CUDA (with or without provider options) is exit 3 naming the library that is missing; a mistyped
// provider option is exit 2 before anything loads.
Task("SmokeGpu")
    .IsDependentOn("PublishGpu")
    .Does(() =>
{
    var tool = "artifacts/optimize-gpu/optimize.dll";
    var model = "models/tiny_cnn.onnx";
    var data = "models/tiny_cnn_data/validate";
    int Run(string arguments, out string output)
    {
        var code = StartProcess("dotnet", new ProcessSettings { Arguments = $"{tool} {arguments}", RedirectStandardOutput = true, RedirectStandardError = true },
            out var stdout, out var stderr);
        output = string.Join("\n", stdout.Concat(stderr));
        return code;
    }
    string text;
    if (Run("--version", out text) != 0 || !text.Contains("gpu flavour")) throw new Exception($"GPU flavour --version: {text}");
    if (Run($"bench {model} --runs 5 --data {data}", out text) != 0) throw new Exception($"GPU flavour bench on the CPU provider failed: {text}");
    if (Run($"validate --baseline {model} --candidate {model} --data {data} --report artifacts/smoke-gpu-validate --max-accuracy-drop max-abs=0", out text) != 0)
        throw new Exception($"GPU flavour validate on the CPU provider failed: {text}");
    var cuda = Run($"bench {model} --runs 5 --provider cuda", out text);
    if (cuda == 0) Information("GPU flavour: the CUDA provider loaded (a GPU machine)");
    else if (cuda != 3 || !text.Contains(" is missing")) throw new Exception($"GPU flavour --provider cuda: expected exit 3 naming the missing library, got {cuda}: {text}");
    else Information($"GPU flavour --provider cuda without CUDA: exit 3, {text.Trim()}");
    // Provider options are checked before any provider library loads: good ones are accepted, and then the load fails
    // (exit 3, naming the library); a mistyped key is exit 2 with the key meant, whatever the machine has.
    var withOptions = Run($"bench {model} --runs 5 --provider cuda --device 0 --provider-option cudnn_conv_algo_search=HEURISTIC", out text);
    if (withOptions == 0) Information("GPU flavour: the CUDA provider loaded with cudnn_conv_algo_search=HEURISTIC");
    else if (withOptions != 3 || !text.Contains(" is missing")) throw new Exception($"GPU flavour --provider-option cudnn_conv_algo_search=HEURISTIC: expected exit 3 naming the missing library, got {withOptions}: {text}");
    else Information($"GPU flavour --provider cuda with provider options, without CUDA: exit 3, {text.Trim()}");
    var engines = "artifacts/smoke-gpu-engines";
    if (System.IO.Directory.Exists(engines)) System.IO.Directory.Delete(engines, true);
    var tensorRt = Run($"bench {model} --runs 5 --provider tensorrt --provider-option trt_fp16_enable=1 --provider-option trt_engine_cache_path={engines}", out text);
    if (tensorRt == 0 && !System.IO.Directory.Exists(engines)) throw new Exception("GPU flavour --provider tensorrt loaded but did not make its engine cache folder");
    if (tensorRt != 0 && (tensorRt != 3 || !text.Contains(" is missing") || System.IO.Directory.Exists(engines)))
        throw new Exception($"GPU flavour --provider tensorrt with options: expected exit 3 naming the missing library and no cache folder, got {tensorRt}: {text}");
    var badKey = Run($"bench {model} --runs 5 --provider cuda --provider-option cudnn_conv_algo_serch=HEURISTIC", out text);
    if (badKey != 2 || !text.Contains("did you mean 'cudnn_conv_algo_search'?")) throw new Exception($"GPU flavour mistyped provider option: expected exit 2 with the key meant, got {badKey}: {text}");
    Information($"GPU flavour mistyped provider option: exit 2, {text.Trim()}");
});

// A zoo (a pipeline file of many models) run and collected for CI: artifacts/zoo/report/ (zoo-report.json, .md,
// zoo-junit.xml) and artifacts/zoo/jobs/NAME/ (each job's output folder). A failed job fails the target after the
// collection, so CI still uploads what ran. dotnet cake --target=Zoo --zoo=pipelines/zoo.yaml [--shard=i/N] [--jobs=N]
// (see tools/ci/zoo-matrix.yml and tools/k8s/zoo-indexed-job.yaml).
var zooFile = Argument("zoo", "pipelines/zoo.yaml");
var zooShard = Argument("shard", "");
var zooJobs = Argument("jobs", "1");
var zooDir = Argument("zoo-dir", "artifacts/zoo");

Task("Zoo")
    .IsDependentOn("Build")
    .Does(() =>
{
    var report = System.IO.Path.Combine(zooDir, "report");
    if (System.IO.Directory.Exists(zooDir)) System.IO.Directory.Delete(zooDir, recursive: true);
    var arguments = new ProcessArgumentBuilder()
        .Append($"src/Optimizer.Cli/bin/{configuration}/net10.0/optimize.dll").Append("run").AppendQuoted(zooFile)
        .Append("--report").AppendQuoted(report).Append("--jobs").Append(zooJobs);
    if (zooShard != "") arguments.Append("--shard").Append(zooShard);
    var code = StartProcess("dotnet", new ProcessSettings { Arguments = arguments });
    var reportFile = System.IO.Path.Combine(report, "zoo-report.json");
    if (!System.IO.File.Exists(reportFile)) throw new Exception($"the zoo run wrote no report (exit code {code})");
    // The report names each job's output folder relative to the zoo file's folder.
    var zooFolder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(zooFile));
    using var json = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(reportFile));
    foreach (var job in json.RootElement.GetProperty("jobs").EnumerateArray())
    {
        var from = System.IO.Path.GetFullPath(System.IO.Path.Combine(zooFolder, job.GetProperty("output").GetString()));
        if (!System.IO.Directory.Exists(from)) continue;
        var to = System.IO.Path.Combine(zooDir, "jobs", job.GetProperty("name").GetString());
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", System.IO.SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(from, file);
            if (relative.Split(System.IO.Path.DirectorySeparatorChar).Any(part => part.StartsWith("."))) continue; // the lock, staging folders
            var target = System.IO.Path.Combine(to, relative);
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target));
            System.IO.File.Copy(file, target, overwrite: true);
        }
    }
    Information($"zoo artifacts in {zooDir}: report/ and jobs/ ({json.RootElement.GetProperty("jobs").GetArrayLength()} jobs, exit code {code})");
    if (code != 0) throw new Exception($"the zoo run failed with exit code {code} (see {report}/zoo-report.md)");
});

RunTarget(target);
