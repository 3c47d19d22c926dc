import ArgumentParser
import Foundation
import HMCheckpoint

/// `hm-dist inspect`: what a checkpoint holds (docs/checkpoint-format.md, docs/command-line.md), from its manifest alone, or,
/// with `--verify`, after checking every byte of every committed step.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's step, architecture, tensors and shards; --verify checks every byte.",
        discussion: """
            Without --verify only manifest.json and the shards' sizes and zstd frame headers are \
            read. With --verify every shard of the step (for a step-N/ directory) or of every \
            committed step (for a run or checkpoints/ directory) is hashed, decompressed and \
            decoded, LATEST is checked and leftover step-N.tmp/ directories of interrupted saves \
            are reported; each problem is printed with its file and reason, and the exit status \
            is 1 if there is any.
            """)

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Flag(help: "Check every byte (every committed step of a run or checkpoints/ directory).") var verify = false
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try reportingErrors("inspect") {
            var problems: [CheckpointError] = []
            var summary: CheckpointSummary?
            if verify {
                problems = CheckpointInspection.verify(checkpoint)
                if let directory = try? CheckpointReader.resolve(checkpoint),
                   let manifest = try? CheckpointReader.readManifest(directory) {
                    summary = CheckpointSummary(directory: directory, manifest: manifest)
                }
            } else {
                let directory = try CheckpointReader.resolve(checkpoint)
                summary = CheckpointSummary(directory: directory, manifest: try CheckpointReader.readManifest(directory))
            }
            if json {
                var record = summary?.json ?? ["checkpoint": CheckpointReader.checkpointsDirectory(for: checkpoint)]
                if verify {
                    record["verified"] = problems.isEmpty
                    record["problems"] = problems.map { p -> [String: Any] in
                        var entry: [String: Any] = ["path": p.path, "reason": p.reason, "kind": p.kind.rawValue]
                        if let field = p.field { entry["field"] = field }
                        return entry
                    }
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            } else {
                if let summary { print(summary.text, terminator: "") }
                if verify { print(CheckpointInspection.verificationText(checkpoint, problems), terminator: "") }
            }
            if !problems.isEmpty {
                FileHandle.standardError.write(Data("hm-dist inspect: error: \(problems.count) problem\(problems.count == 1 ? "" : "s") in \(checkpoint)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

