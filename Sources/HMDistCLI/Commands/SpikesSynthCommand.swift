import ArgumentParser
import Foundation
import HMData
import HMTraining

/// `hm-dist spikes-synth`: a synthetic recording of `--data spikes-synth:…` written as
/// files, so that other tools can be run and scored on the very data a model is trained on.
struct SpikesSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikes-synth",
        abstract: "Write a synthetic spike recording (spikes.csv) and its planted patterns (truth.json).",
        discussion: """
            SPEC is what follows spikes-synth: in --data (docs/spikes.md), e.g. \
            channels=16,patterns=2,pattern-rate=1,2,drop=0.1; the prefix may be given too. \
            DIR/spikes.csv holds rows unit,time_seconds; `--data spikes:DIR/spikes.csv` reads \
            them back as the same data (channels without spikes aside). DIR/truth.json holds \
            each pattern's (channel, lag) spikes, its rate and every planted occurrence.
            """)

    @Argument(help: "The generator's KEY=VAL,… settings.") var spec: String
    @Option(help: "Directory to write spikes.csv and truth.json into (created if missing).") var out: String
    @Flag(help: "Replace existing files.") var force = false

    func run() throws {
        try reportingErrors("spikes-synth") {
            let full = spec.hasPrefix(SpikeSynthSpec.prefix) ? spec : SpikeSynthSpec.prefix + spec
            let settings = try SpikeSynthSpec.parse(String(full.dropFirst(SpikeSynthSpec.prefix.count)), spec: full)
            let csv = out + "/spikes.csv", truth = out + "/truth.json"
            for path in [csv, truth] where FileManager.default.fileExists(atPath: path) && !force {
                throw ConfigError(path: path, field: "out", "exists; pass --force to replace it")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let result = SpikeSynth.generate(settings)
            try SpikeCSV.write(result.recording, to: csv)
            try Data(result.groundTruthJSON(spec: full).utf8).write(to: URL(fileURLWithPath: truth))
            let planted = result.patterns.map { $0.occurrences.count }
            print("wrote \(result.recording.spikeCount) spikes on \(settings.channels) channels over \(settings.duration) s to \(csv); "
                + "\(settings.patterns) patterns planted \(planted.map(String.init).joined(separator: ", ")) times, in \(truth)")
        }
    }
}
