using Optimizer.Cli;

return CommandLineApp.Run(args);
