import Foundation

/// One step's manifest, as `inspect` shows it: metadata, tensors and shards with their sizes.
public struct CheckpointSummary {
    struct Shard {
        var record: ShardRecord
        /// On disk now (nil when missing), and the safetensors size its zstd frame records.
        var bytesOnDisk: Int?
        var uncompressed: Int?
        /// What the ratio and totals count: the file as it is, or as recorded when missing.
        var bytes: Int { bytesOnDisk ?? record.bytes }
        var ratio: Double? { uncompressed.map { Double($0) / Double(max(bytes, 1)) } }
    }

    let directory: String
    let manifest: Manifest
    let shards: [Shard]

    public init(directory: String, manifest: Manifest) {
        self.directory = directory
        self.manifest = manifest
        shards = manifest.shards.map { record in
            let path = (directory as NSString).appendingPathComponent(record.file)
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
            return Shard(record: record, bytesOnDisk: size?.intValue, uncompressed: Self.frameContentSize(path))
        }
    }

    var sortedTensors: [(name: String, entry: Manifest.TensorEntry)] {
        manifest.tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    var compressedTotal: Int { shards.reduce(0) { $0 + $1.bytes } }
    var uncompressedTotal: Int? {
        shards.reduce(Optional(0)) { sum, shard in sum.flatMap { s in shard.uncompressed.map { s + $0 } } }
    }
    var compressionRatio: Double? { uncompressedTotal.map { Double($0) / Double(max(compressedTotal, 1)) } }

    /// Run configuration keys worth a line of their own, in this order.
    static let keyConfig = ["algorithm", "data", "optimizer", "lr", "batch", "samples", "seed", "steps", "epochs", "ranks"]

    public var text: String {
        let m = manifest
        var lines = [
            "checkpoint    \(directory)",
            "step          \(m.step)   epoch \(m.epoch)   samples seen \(m.samplesSeen)",
            "world size    \(m.worldSize) at save",
            "format        version \(m.formatVersion), created \(m.created)",
            "architecture  " + Self.members(m.architecture, keys: nil),
            "config        " + Self.members(m.config, keys: Self.keyConfig),
            "",
            "tensors (\(m.tensors.count)):",
        ]
        let width = max(4, sortedTensors.map(\.name.count).max() ?? 0)
        let shapes = sortedTensors.map { "[" + $0.entry.shape.map(String.init).joined(separator: ", ") + "]" }
        let shapeWidth = max(5, shapes.map(\.count).max() ?? 0)
        lines.append("  " + Self.pad("name", width) + "  dtype  " + Self.pad("shape", shapeWidth) + "  shard")
        for (t, shape) in zip(sortedTensors, shapes) {
            lines.append("  " + Self.pad(t.name, width) + "  " + Self.pad(t.entry.dtype.rawValue, 5) + "  "
                + Self.pad(shape, shapeWidth) + "  " + t.entry.shard)
        }
        lines += ["", "shards (\(shards.count)):"]
        let fileWidth = max(4, shards.map(\.record.file.count).max() ?? 0)
        lines.append("  " + Self.pad("file", fileWidth) + "       bytes  uncompressed   ratio  sha256")
        for s in shards {
            let onDisk = s.bytesOnDisk == s.record.bytes ? String(s.record.bytes)
                : "\(s.bytesOnDisk.map(String.init) ?? "missing") (manifest: \(s.record.bytes))"
            lines.append("  " + Self.pad(s.record.file, fileWidth) + "  " + Self.pad(onDisk, 10, right: true) + "  "
                + Self.pad(s.uncompressed.map(String.init) ?? "?", 12, right: true) + "  "
                + Self.pad(s.ratio.map { String(format: "%.2f", $0) } ?? "?", 6, right: true) + "  " + s.record.sha256)
        }
        let parameters = sortedTensors.filter { !$0.name.hasPrefix("optimizer.") }
        let elements = parameters.reduce(0) { $0 + $1.entry.shape.reduce(1, *) }
        lines += ["", "total: \(m.tensors.count) tensors (\(parameters.count) parameter tensors, \(elements) parameters), "
            + "\(shards.count) shards, \(compressedTotal) bytes compressed, "
            + "\(uncompressedTotal.map(String.init) ?? "?") uncompressed, ratio "
            + (compressionRatio.map { String(format: "%.2f", $0) } ?? "?")]
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: [String: Any] {
        let m = manifest
        return [
            "checkpoint": directory, "step": m.step, "epoch": m.epoch, "samples_seen": m.samplesSeen,
            "world_size": m.worldSize, "format_version": m.formatVersion, "created": m.created,
            "architecture": Self.object(m.architecture), "config": Self.object(m.config),
            "algorithm": m.config["algorithm"]?.stringValue ?? NSNull(),
            "tensors": sortedTensors.map { ["name": $0.name, "dtype": $0.entry.dtype.rawValue, "shape": $0.entry.shape, "shard": $0.entry.shard] },
            "shards": shards.map { s -> [String: Any] in
                ["file": s.record.file, "bytes": s.bytesOnDisk ?? NSNull(), "recorded_bytes": s.record.bytes,
                 "uncompressed_bytes": s.uncompressed ?? NSNull(), "ratio": s.ratio ?? NSNull(), "sha256": s.record.sha256]
            },
            "bytes": compressedTotal, "uncompressed_bytes": uncompressedTotal ?? NSNull(),
            "compression_ratio": compressionRatio ?? NSNull(),
        ]
    }

    /// The content size a zstd frame header records (RFC 8878 §3.1.1.1), read from the first
    /// bytes of the file: the shard's safetensors size, without decompressing. nil when the
    /// file is missing or its header records none.
    static func frameContentSize(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 18).map(Array.init) else { return nil }
        return frameContentSize(head: head)
    }

    /// The content size the zstd frame header at the start of `head` (its first 18 bytes
    /// suffice) records; nil when it records none.
    static func frameContentSize(head: [UInt8]) -> Int? {
        guard head.count >= 6, Array(head[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD] else { return nil }
        let descriptor = head[4]
        let singleSegment = descriptor & 0x20 != 0
        let start = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
        let width = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        guard width > 0, start + width <= head.count else { return nil }
        var size: UInt64 = 0
        for k in 0..<width { size |= UInt64(head[start + k]) << (8 * k) }
        if width == 2 { size += 256 }
        return size <= UInt64(Int.max) ? Int(size) : nil
    }

    /// `key: value` pairs of a JSON object, values as compact JSON; `keys` selects and orders.
    static func members(_ value: JSONValue, keys: [String]?) -> String {
        guard case .object(let object) = value else { return compact(value) }
        return (keys ?? object.keys.sorted()).compactMap { key in object[key].map { "\(key) \(compact($0))" } }
            .joined(separator: ", ")
    }

    public static func compact(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    static func object(_ value: JSONValue) -> Any {
        (try? JSONEncoder().encode(value)).flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) } ?? NSNull()
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
