import Foundation

/// `manifest.json`, the commit record of one step: written last, so a step directory with a
/// valid manifest is complete. It records everything needed to check every byte before use
/// (each shard's size and SHA-256) and to rebuild the run (configuration, architecture).
public struct Manifest: Codable, Equatable, Sendable {
    /// Where a tensor lives and what it must look like once decoded.
    public struct TensorEntry: Codable, Equatable, Sendable {
        /// The shard's file name, as in `shards`.
        public var shard: String
        public var dtype: DType
        public var shape: [Int]

        public init(shard: String, dtype: DType, shape: [Int]) {
            self.shard = shard
            self.dtype = dtype
            self.shape = shape
        }
    }

    public var formatVersion: Int
    public var step: Int
    public var epoch: Int
    public var samplesSeen: Int
    /// The number of ranks (and shards) at save time; any world size can load it.
    public var worldSize: Int
    /// The run's configuration, opaque to this module.
    public var config: JSONValue
    /// The model's architecture, opaque to this module.
    public var architecture: JSONValue
    public var tensors: [String: TensorEntry]
    public var shards: [ShardRecord]
    /// ISO-8601 time of the commit.
    public var created: String
    /// The file beside the manifest that holds its SHA-256 (`manifest.sha256`); nil in
    /// manifests written before they were protected.
    public var digest: String?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", step, epoch, samplesSeen = "samples_seen"
        case worldSize = "world_size", config, architecture, tensors, shards, created, digest
    }

    public init(step: Int, epoch: Int, samplesSeen: Int, worldSize: Int, config: JSONValue,
                architecture: JSONValue, tensors: [String: TensorEntry], shards: [ShardRecord],
                created: Date = Date()) {
        self.formatVersion = HMCheckpoint.formatVersion
        self.step = step
        self.epoch = epoch
        self.samplesSeen = samplesSeen
        self.worldSize = worldSize
        self.config = config
        self.architecture = architecture
        self.tensors = tensors
        self.shards = shards
        self.created = ISO8601DateFormatter().string(from: created)
        self.digest = CheckpointLayout.manifestDigestFileName
    }

    /// The manifest entries of tensors split into shards, shard `i` of `parts.count` each.
    public static func tensorEntries<T: TensorSource>(for parts: [[T]]) -> [String: TensorEntry] {
        var entries: [String: TensorEntry] = [:]
        for (rank, part) in parts.enumerated() {
            let shard = CheckpointLayout.shardFileName(rank: rank, worldSize: parts.count)
            for tensor in part {
                entries[tensor.name] = TensorEntry(shard: shard, dtype: tensor.dtype, shape: tensor.shape)
            }
        }
        return entries
    }

    /// Pretty JSON with sorted keys: stable bytes for the same content, readable by people.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Parses and checks a manifest: the version first (so a newer format is reported as
    /// such, not as a missing field), then every field, then internal consistency.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Manifest {
        struct Version: Decodable {
            let formatVersion: Int?
            enum CodingKeys: String, CodingKey { case formatVersion = "format_version" }
        }
        let manifest: Manifest
        do {
            let version = try JSONDecoder().decode(Version.self, from: Data(bytes)).formatVersion
            guard version == HMCheckpoint.formatVersion else {
                throw CheckpointError(.manifest, path: source, field: "format_version",
                                      "is \(version.map(String.init) ?? "missing"), this build reads "
                                          + "\(HMCheckpoint.formatVersion)")
            }
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch let error as CheckpointError {
            throw error
        } catch let error as DecodingError {
            throw CheckpointError(.manifest, path: source, field: error.fieldPath, "bad manifest JSON: \(error.summary)")
        } catch {
            throw CheckpointError(.manifest, path: source, "bad manifest JSON: \(error)")
        }
        try manifest.checkConsistency(source: source)
        return manifest
    }

    /// Reads and checks the manifest of a step directory: its bytes against the digest beside
    /// it first, before any field is trusted. Returns whether it was protected (a manifest of
    /// an older version, without a digest, is read unprotected).
    public static func read(stepDirectory directory: String) throws -> (manifest: Manifest, protected: Bool) {
        let path = CheckpointLayout.join(directory, CheckpointLayout.manifestFileName)
        let digestPath = CheckpointLayout.join(directory, CheckpointLayout.manifestDigestFileName)
        let bytes = try DurableFile.read(path)
        let digestFile = DurableFile.size(digestPath) != nil ? try DurableFile.read(digestPath) : nil
        return try decode(bytes, digestFile: digestFile, stepDirectory: directory)
    }

    /// The checks of `read(stepDirectory:)` on bytes already read: `bytes` of `manifest.json`
    /// and `digestFile`, those of `manifest.sha256` (nil when there is none); `directory`
    /// names the files in errors.
    public static func decode(_ bytes: [UInt8], digestFile: [UInt8]?, stepDirectory directory: String) throws
        -> (manifest: Manifest, protected: Bool) {
        let path = CheckpointLayout.join(directory, CheckpointLayout.manifestFileName)
        var protected = false
        if let digestFile {
            // Exactly what the writer writes, 64 hex digits and a newline: any other byte is damage.
            let actual = SHA256.hex(bytes)
            guard digestFile == Array((actual + "\n").utf8) else {
                let name = CheckpointLayout.manifestDigestFileName
                guard digestFile.count == 65, digestFile.last == 10 else {
                    throw CheckpointError(.checksumMismatch, path: CheckpointLayout.join(directory, name), field: "sha256",
                                          "expected the 64 hex digits of the manifest's SHA-256 and a newline (65 bytes), found \(digestFile.count) bytes")
                }
                throw CheckpointError(.checksumMismatch, path: path, field: "sha256",
                                      "SHA-256 is \(actual), \(name) records \(String(decoding: digestFile.prefix(64), as: UTF8.self))")
            }
            protected = true
        }
        let manifest = try decode(bytes, source: path)
        if !protected, let digest = manifest.digest {
            throw CheckpointError(.notFound, path: CheckpointLayout.join(directory, digest),
                                  "missing: the manifest is protected by it")
        }
        return (manifest, protected)
    }

    /// Shard names must be plain file names (a manifest must not point outside its
    /// directory) and every tensor must live in a listed shard.
    private func checkConsistency(source: String) throws {
        let files = Set(shards.map(\.file))
        for shard in shards where !CheckpointLayout.isPlainFileName(shard.file) || shard.bytes < 0 {
            throw CheckpointError(.manifest, path: source, field: "shards", "bad shard entry '\(shard.file)'")
        }
        guard files.count == shards.count else {
            throw CheckpointError(.manifest, path: source, field: "shards", "a shard is listed twice")
        }
        for (name, entry) in tensors where !files.contains(entry.shard) {
            throw CheckpointError(.manifest, path: source, field: "tensors.\(name).shard",
                                  "'\(entry.shard)' is not listed in shards")
        }
    }
}

/// One shard as written by one rank: what the manifest records and what is checked on load.
public struct ShardRecord: Codable, Equatable, Sendable {
    public var file: String
    /// Size of the compressed file in bytes.
    public var bytes: Int
    /// SHA-256 of the compressed file, lowercase hex.
    public var sha256: String

    public init(file: String, bytes: Int, sha256: String) {
        self.file = file
        self.bytes = bytes
        self.sha256 = sha256
    }
}

extension DecodingError {
    /// The dotted path of the offending field, e.g. `tensors.w.shape`.
    var fieldPath: String? {
        let path: [CodingKey]
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            return nil
        }
        return path.isEmpty ? nil : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    var summary: String {
        switch self {
        case .keyNotFound: return "missing"
        case .typeMismatch(let type, _): return "expected \(type)"
        case .valueNotFound(let type, _): return "expected \(type), found null"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(self)"
        }
    }
}
