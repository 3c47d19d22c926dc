import ArgumentParser
import Foundation
import HMTraining
import HMCheckpoint

/// `hm-dist export`: a checkpoint's model as one plain (uncompressed) safetensors file that
/// any ML stack reads, with the tensor names of docs/checkpoint-format.md.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model as one uncompressed safetensors file.",
        discussion: """
            Every byte of the step is verified first. The file holds the parameter tensors \
            under their checkpoint names (with --all also the training state: optimizer.* and fisher.*), and __metadata__ holds \
            "architecture" and "config" as JSON strings, plus "step", "epoch", "samples_seen" \
            and "source". It is written to FILE.tmp, fsynced and renamed, so FILE is either \
            complete or absent; an existing FILE is replaced only with --force.
            """)

    @Option(help: "Run directory, its checkpoints/ directory, or one step-N/ directory.") var checkpoint: String
    @Option(help: "The safetensors file to write.") var out: String
    @Flag(help: "Also export the training state (optimizer.*, and fisher.* of nws/nrws).") var all = false
    @Flag(help: "Replace an existing output file.") var force = false

    func run() throws {
        try reportingErrors("export") {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
                guard !isDirectory.boolValue else { throw ConfigError(path: out, field: "out", "is a directory") }
                guard force else { throw ConfigError(path: out, field: "out", "exists; pass --force to replace it") }
            }
            let ckpt = try CheckpointReader.load(checkpoint)
            let tensors = ckpt.tensors.values.filter { all || !Self.isTrainingState($0.name) }.sorted { $0.name < $1.name }
            let m = ckpt.manifest
            let metadata = [
                "architecture": CheckpointSummary.compact(m.architecture), "config": CheckpointSummary.compact(m.config),
                "step": String(m.step), "epoch": String(m.epoch), "samples_seen": String(m.samplesSeen),
                "source": ckpt.directory,
            ]
            let bytes = try Safetensors.encode(tensors, metadata: metadata)
            try Self.writeAtomically(bytes, to: out)
            let state = tensors.filter { Self.isTrainingState($0.name) }.count
            print("exported \(tensors.count) tensors (\(tensors.count - state) parameter, \(state) training state; "
                + "\(bytes.count) bytes) of step \(m.step) from \(ckpt.directory) to \(out)")
        }
    }

    /// `bytes` to `path + ".tmp"` (fsynced), renamed over `path`, then the directory fsynced:
    /// a crash leaves at worst the `.tmp` file, never a partial `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let staging = path + ".tmp"
        var renamed = false
        defer { if !renamed { unlink(staging) } }
        try DurableFile.write(bytes, to: staging)
        guard rename(staging, path) == 0 else {
            throw CheckpointError(.io, path: staging, "rename to \(path) failed: \(String(cString: strerror(errno)))")
        }
        renamed = true
        let parent = (path as NSString).deletingLastPathComponent
        let fd = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw CheckpointError(.io, path: parent, "open directory failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError(.io, path: parent, "fsync directory failed: \(String(cString: strerror(errno)))") }
    }

    /// The model is the generative and recognition tensors; the rest resumes training.
    static func isTrainingState(_ name: String) -> Bool {
        name.hasPrefix("optimizer.") || name.hasPrefix("fisher.")
    }
}
