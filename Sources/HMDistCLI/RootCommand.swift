import ArgumentParser

/// The `hm-dist` command line (docs/command-line.md). `Sources/hm-dist/main.swift` runs
/// `Startup.prepareBLAS()` first, then `HMDist.main()`.
public struct HMDist: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hm-dist",
        abstract: "Train Helmholtz machines with wake-sleep and reweighted wake-sleep over MPI.",
        version: "0.1.0",
        subcommands: [
            TrainCommand.self,
            EvalCommand.self,
            SampleCommand.self,
            ClassifierCommand.self,
            QualityCommand.self,
            InspectCommand.self,
            ExportCommand.self,
            BenchCommand.self,
            PatternsCommand.self,
            ReportCommand.self,
            SpikesSynthCommand.self,
            CheckBLASCommand.self,
            CheckCommCommand.self,
        ]
    )

    public init() {}
}
