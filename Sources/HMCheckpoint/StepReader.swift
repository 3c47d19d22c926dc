/// Reads one step directory, the single code path behind both `load` (stop at the first
/// problem) and `verify` (collect them all): `report` decides by throwing or not.
enum StepReader {
    /// The checkpoint, or nil when a problem was reported and `report` did not throw.
    static func read(_ directory: String, report: (CheckpointError) throws -> Void) throws -> Checkpoint? {
        let manifestPath = CheckpointLayout.join(directory, CheckpointLayout.manifestFileName)
        let manifest: Manifest, protected: Bool
        do {
            (manifest, protected) = try Manifest.read(stepDirectory: directory)
        } catch {
            try report(wrap(error, manifestPath))
            return nil
        }
        // A manifest of `step-N/` must record step N: a changed digit the shards' checksums
        // cannot catch must not be resumed as another step.
        let named = CheckpointInspection.stepNameProblem(directory, manifest)
        if let named { try report(named) }
        var tensors: [String: Tensor] = [:]
        var readShards = Set<String>()
        for shard in manifest.shards {
            let path = CheckpointLayout.join(directory, shard.file)
            do {
                for tensor in try readShard(shard, at: path) {
                    try check(tensor, in: shard.file, against: manifest, path: path)
                    tensors[tensor.name] = tensor
                }
                readShards.insert(shard.file)
            } catch {
                try report(wrap(error, path))
            }
        }
        var complete = readShards.count == manifest.shards.count && named == nil
        for (name, entry) in manifest.tensors.sorted(by: { $0.key < $1.key })
        where tensors[name] == nil && readShards.contains(entry.shard) {
            complete = false
            try report(CheckpointError(.tensorMismatch, path: CheckpointLayout.join(directory, entry.shard),
                                       field: name, "listed in the manifest but not in the shard"))
        }
        return complete ? Checkpoint(directory: directory, manifest: manifest, tensors: tensors, protected: protected) : nil
    }

    /// Size and SHA-256 are checked before anything is decompressed: a damaged file is
    /// reported as damaged, and zstd never sees bytes we did not write.
    static func readShard(_ shard: ShardRecord, at path: String) throws -> [Tensor] {
        guard let size = DurableFile.size(path) else {
            throw CheckpointError(.notFound, path: path, "missing shard")
        }
        guard size == shard.bytes else {
            throw CheckpointError(.sizeMismatch, path: path, "\(size) bytes, the manifest records \(shard.bytes)")
        }
        let compressed = try DurableFile.read(path)
        let digest = SHA256.hex(compressed)
        guard compressed.count == shard.bytes, digest == shard.sha256.lowercased() else {
            throw CheckpointError(.checksumMismatch, path: path, field: "sha256",
                                  "SHA-256 is \(digest), the manifest records \(shard.sha256)")
        }
        let raw = try Zstd.decompress(compressed, source: path)
        return try Safetensors.decode(raw, source: path).tensors
    }

    private static func check(_ tensor: Tensor, in shard: String, against manifest: Manifest, path: String) throws {
        guard let entry = manifest.tensors[tensor.name], entry.shard == shard else {
            throw CheckpointError(.tensorMismatch, path: path, field: tensor.name,
                                  "in the shard but not listed for it in the manifest")
        }
        guard entry.dtype == tensor.dtype, entry.shape == tensor.shape else {
            throw CheckpointError(.tensorMismatch, path: path, field: tensor.name,
                                  "is \(tensor.dtype.rawValue) \(tensor.shape), the manifest records "
                                      + "\(entry.dtype.rawValue) \(entry.shape)")
        }
    }

    static func wrap(_ error: Error, _ path: String) -> CheckpointError {
        error as? CheckpointError ?? CheckpointError(.io, path: path, "\(error)")
    }
}
