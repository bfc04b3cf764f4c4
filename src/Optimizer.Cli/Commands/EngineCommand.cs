using System.CommandLine;
using Optimizer.Cli.Pipeline;

namespace Optimizer.Cli.Commands;

/// <summary><c>optimize engine MODEL [-o OUT] ...</c>: a TensorRT engine via trtexec (OUT/model.plan, OUT/trtexec.log).</summary>
public static class EngineCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "The ONNX model to build an engine from." };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Output folder (default: the model's folder/<stem>.opt/)." };
        var json = new Option<bool>("--json") { Description = "Print the engine facts (the manifest's engine section) as JSON on stdout." };
        var engine = new EngineOptions(forRoot: false);
        var command = new Command("engine", "Build a TensorRT engine with trtexec, record it in the manifest, and report its latency.") { model, output, json };
        engine.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken cancel) =>
        {
            var modelPath = parse.GetValue(model)!.FullName;
            var outDir = parse.GetValue(output)?.FullName ?? OptimizeOptions.DefaultOutDir(modelPath);
            var options = engine.Read(parse, modelPath, outDir) with { Json = parse.GetValue(json) };
            Output.OutputLocation.CheckFolder(outDir, parse.GetValue(output) is null ? "the output folder (default; choose one with -o)" : "-o");
            // OUT changes only when the build is done (see TransactionalRun); when trtexec fails, its log is still published.
            return await Output.TransactionalRun.RunAsync(outDir, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancel,
                async (transaction, stdout, stderr) =>
                {
                    foreach (var name in EngineRun.EngineFiles) transaction.RemoveOnPublish(name);
                    var calibration = Path.Combine(outDir, EngineRun.CalibrationCacheFile);
                    var staged = options with
                    {
                        OutDir = transaction.Staging,
                        CalibrationCache = options.CalibrationCache ?? (File.Exists(calibration) ? calibration : null),
                    };
                    var code = await EngineRun.RunAsync(staged, stdout, stderr, cancel);
                    var manifest = Output.Manifest.LoadOrCreate(transaction.Staging);
                    manifest.AddFile("input", modelPath);
                    manifest.Save();
                    return code;
                },
                publishAnyway: e => e is Optimizer.Onnx.Errors.ExternalToolException);
        });
        return command;
    }
}
