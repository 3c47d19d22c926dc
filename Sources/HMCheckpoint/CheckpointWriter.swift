import Foundation

/// What the caller knows about a step besides its tensors; stored opaquely in the manifest.
public struct CheckpointInfo: Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var samplesSeen: Int
    public var config: JSONValue
    public var architecture: JSONValue

    public init(step: Int, epoch: Int = 0, samplesSeen: Int = 0,
                config: JSONValue = .object([:]), architecture: JSONValue = .object([:])) {
        self.step = step
        self.epoch = epoch
        self.samplesSeen = samplesSeen
        self.config = config
        self.architecture = architecture
    }
}

/// Writes one step of a `checkpoints/` directory with N ranks (docs/checkpoint-format.md):
///
///     rank 0: let staging = try writer.prepare(step:)      // fresh step-N.tmp/
///     barrier
///     every rank: record = try writer.writeShard(rank:worldSize:tensors: parts[rank], into: staging)
///     gather the records on rank 0
///     rank 0: try writer.commit(info:tensors:shards:keep:)  // manifest, rename, LATEST, prune
///
/// Until the rename in `commit` nothing outside `step-N.tmp/` changes, so a failure anywhere
/// leaves every committed step as it was.
public struct CheckpointWriter: Sendable {
    /// The `checkpoints/` directory.
    public let directory: String
    public var compressionLevel: Int
    /// zstd worker threads per shard; 0 compresses in the calling thread (see `Zstd.workers`).
    public var compressionWorkers: Int

    public init(checkpointsDirectory: String, compressionLevel: Int = 3, compressionWorkers: Int = 0) {
        self.directory = checkpointsDirectory
        self.compressionLevel = compressionLevel
        self.compressionWorkers = compressionWorkers
    }

    public func stagingDirectory(step: Int) -> String {
        CheckpointLayout.join(directory, CheckpointLayout.stagingDirectoryName(step))
    }

    /// Rank 0, before any shard is written: creates `checkpoints/` if needed and an empty
    /// `step-N.tmp/`, removing what an interrupted save of the same step left there.
    /// Refuses a step that is already committed: committed steps are never overwritten. A
    /// `step-N/` without `manifest.json` is not committed (its manifest was lost), is never
    /// loaded, and would block the step for ever: it is moved aside to `step-N.rejected/`.
    @discardableResult
    public func prepare(step: Int) throws -> String {
        let final = CheckpointLayout.join(directory, CheckpointLayout.stepDirectoryName(step))
        if DurableFile.isDirectory(final) {
            guard !CheckpointReader.hasManifest(final) else {
                throw CheckpointError(.alreadyCommitted, path: final, "step \(step) is already committed")
            }
            try moveAside(final)
        }
        if !DurableFile.isDirectory(directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CheckpointError(.io, path: directory, "cannot create: \(error.localizedDescription)")
            }
        }
        let staging = stagingDirectory(step: step)
        if DurableFile.isDirectory(staging) { try DurableFile.removeTree(staging) }
        try DurableFile.makeDirectory(staging)
        return staging
    }

    /// Renames `path` to `path.rejected` (`path.rejected-2`, … when taken): never deleted.
    private func moveAside(_ path: String) throws {
        var aside = path + ".rejected", n = 1
        while FileManager.default.fileExists(atPath: aside) {
            n += 1
            aside = path + ".rejected-\(n)"
        }
        try DurableFile.rename(path, to: aside)
        try DurableFile.syncDirectory(directory)
    }

    /// Every rank: encodes its part as safetensors, compresses it as one zstd frame, writes
    /// and fsyncs `shard-0000R-of-0000N.safetensors.zst` into the staging directory — in one
    /// pass: this thread hashes and writes each piece as zstd produces it (with workers, while
    /// they compress the next), and the tensors' bytes go to zstd without being assembled into
    /// a file image.
    public func writeShard<T: TensorSource>(rank: Int, worldSize: Int, tensors: [T],
                           into stagingDirectory: String) throws -> ShardRecord {
        guard 0 <= rank, rank < worldSize else {
            throw CheckpointError(.invalidArgument, path: stagingDirectory, field: "rank",
                                  "rank \(rank) outside a world of \(worldSize)")
        }
        let name = CheckpointLayout.shardFileName(rank: rank, worldSize: worldSize)
        let (prefix, ordered) = try Safetensors.layout(tensors, metadata: ["format": "pt"])
        var hasher = SHA256(), bytes = 0
        try DurableFile.write(to: CheckpointLayout.join(stagingDirectory, name)) { write in
            try prefix.withUnsafeBytes { header in try withRawBuffers(ordered) { parts in
                try Zstd.compress([header] + parts, level: compressionLevel, workers: compressionWorkers) { compressed in
                    hasher.update(compressed)
                    bytes += compressed.count
                    try write(compressed)
                }
            } }
        }
        return ShardRecord(file: name, bytes: bytes, sha256: hasher.finalizeHex())
    }

    /// Rank 0, after every shard is written: checks the shards are there, writes and fsyncs
    /// `manifest.json`, renames `step-N.tmp/` to `step-N/`, fsyncs `checkpoints/`, replaces
    /// `LATEST`, then keeps only the newest `keep` committed steps (all when `keep <= 0`).
    /// Returns the committed step directory.
    @discardableResult
    public func commit(info: CheckpointInfo, tensors: [String: Manifest.TensorEntry],
                       shards: [ShardRecord], keep: Int) throws -> String {
        let staging = stagingDirectory(step: info.step)
        for shard in shards {
            let path = CheckpointLayout.join(staging, shard.file)
            guard let size = DurableFile.size(path) else {
                throw CheckpointError(.notFound, path: path, "shard missing at commit")
            }
            guard size == shard.bytes else {
                throw CheckpointError(.sizeMismatch, path: path, "\(size) bytes, the rank reported \(shard.bytes)")
            }
        }
        let manifest = Manifest(step: info.step, epoch: info.epoch, samplesSeen: info.samplesSeen,
                                worldSize: shards.count, config: info.config,
                                architecture: info.architecture, tensors: tensors, shards: shards)
        let manifestPath = CheckpointLayout.join(staging, CheckpointLayout.manifestFileName)
        let encoded = try manifest.encoded()
        // Decoding what we are about to commit catches inconsistent arguments now, not at resume.
        _ = try Manifest.decode(encoded, source: manifestPath)
        try DurableFile.write(encoded, to: manifestPath)
        try DurableFile.write(Array((SHA256.hex(encoded) + "\n").utf8),
                              to: CheckpointLayout.join(staging, CheckpointLayout.manifestDigestFileName))
        try DurableFile.syncDirectory(staging)

        let name = CheckpointLayout.stepDirectoryName(info.step)
        let final = CheckpointLayout.join(directory, name)
        try DurableFile.rename(staging, to: final)
        try DurableFile.syncDirectory(directory)
        try replaceLatest(with: name)
        try prune(keep: keep, committed: info.step)
        return final
    }

    /// Writes `LATEST.tmp`, fsyncs it, renames it over `LATEST`, fsyncs the directory.
    private func replaceLatest(with name: String) throws {
        let latest = CheckpointLayout.join(directory, CheckpointLayout.latestFileName)
        try DurableFile.write(Array((name + "\n").utf8), to: latest + CheckpointLayout.stagingSuffix)
        try DurableFile.rename(latest + CheckpointLayout.stagingSuffix, to: latest)
        try DurableFile.syncDirectory(directory)
    }

    /// Deletes committed steps beyond the newest `keep` (never the one just committed) and
    /// staging directories of older steps, which no running save can still be using. A step
    /// is first renamed to `*.tmp` so that an interrupted deletion never leaves a
    /// half-deleted directory that looks committed.
    private func prune(keep: Int, committed: Int) throws {
        guard let names = DurableFile.entries(of: directory) else { return }
        var doomed = Set(names.compactMap(CheckpointLayout.step(ofStagingName:)).filter { $0 < committed })
        if keep > 0 {
            let steps = names.compactMap(CheckpointLayout.step(ofDirectoryName:)).sorted(by: >)
            doomed.formUnion(steps.dropFirst(keep).filter { $0 != committed })
        }
        for step in doomed.sorted() {
            let staging = stagingDirectory(step: step)
            if DurableFile.isDirectory(staging) { try DurableFile.removeTree(staging) }
            let path = CheckpointLayout.join(directory, CheckpointLayout.stepDirectoryName(step))
            if DurableFile.isDirectory(path) {
                try DurableFile.rename(path, to: staging)
                try DurableFile.removeTree(staging)
            }
        }
        if !doomed.isEmpty { try DurableFile.syncDirectory(directory) }
    }
}

/// `body` with the bytes of every tensor, in order (the bytes stay where they are).
private func withRawBuffers<T: TensorSource, R>(_ tensors: [T], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
    func nest(_ i: Int, _ done: [UnsafeRawBufferPointer]) throws -> R {
        i == tensors.count ? try body(done) : try tensors[i].withBytes { try nest(i + 1, done + [$0]) }
    }
    return try nest(0, [])
}
