import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}`, then the raw
/// data. Chosen because every ML stack reads it, so a checkpoint is a model file too.
public enum Safetensors {
    /// What a file holds: tensors in data order, and the free-form string metadata.
    public struct Contents: Equatable, Sendable {
        public var tensors: [Tensor]
        public var metadata: [String: String]
    }

    /// The reference implementation refuses larger headers; so do we, before allocating.
    static let maximumHeaderLength = 100_000_000

    /// Encodes `tensors` (unique names). Tensors with wider elements are laid out first,
    /// keeping the given order otherwise, and the header is padded with spaces to a multiple
    /// of 8 as the reference implementation does, so every tensor is aligned for zero-copy
    /// readers.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (prefix, ordered) = try layout(tensors, metadata: metadata)
        var output: [UInt8] = []
        output.reserveCapacity(ordered.reduce(prefix.count) { $0 + $1.byteCount })
        output += prefix
        for tensor in ordered { output += tensor.bytes }
        return output
    }

    /// The file as parts, for writing it without assembling it: `prefix` (the header length
    /// and the padded JSON header), then the bytes of each of `ordered`, in that order.
    public static func layout<T: TensorSource>(_ tensors: [T], metadata: [String: String] = [:]) throws
        -> (prefix: [UInt8], ordered: [T]) {
        var names = Set<String>()
        for tensor in tensors where tensor.name == "__metadata__" || !names.insert(tensor.name).inserted {
            throw CheckpointError(.invalidArgument, path: tensor.name, field: "name",
                                  "duplicate or reserved tensor name")
        }
        let ordered = tensors.enumerated()
            .sorted { ($0.element.dtype.byteSize, $1.offset) > ($1.element.dtype.byteSize, $0.offset) }
            .map(\.element)

        var entries: [String] = []
        if !metadata.isEmpty {
            let members = metadata.sorted { $0.key < $1.key }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\"__metadata__\":{\(members.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in ordered {
            let end = offset + tensor.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\","
                + "\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var prefix: [UInt8] = []
        prefix.reserveCapacity(8 + header.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix += $0 }
        prefix += header
        return (prefix, ordered)
    }

    /// Decodes and validates everything: header length within the file, well-formed JSON,
    /// known dtypes, byte counts, offsets in range and contiguous without overlap. Errors
    /// name `source` (the file) and the field.
    public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> Contents {
        func fail(_ field: String?, _ reason: String) -> CheckpointError {
            CheckpointError(.malformed, path: source, field: field, reason)
        }
        guard bytes.count >= 8 else {
            throw fail("header length", "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(min(bytes.count - 8, maximumHeaderLength)) else {
            throw fail("header length", "\(declared) bytes, but the file holds \(bytes.count - 8) after it"
                + " (limit \(maximumHeaderLength))")
        }
        let headerEnd = 8 + Int(declared)
        let header = bytes[8..<headerEnd]
        guard header.first == UInt8(ascii: "{") else {
            throw fail("header", "does not start with '{'")
        }
        let json: [String: JSONValue]
        do {
            json = try JSONDecoder().decode([String: JSONValue].self, from: Data(header))
        } catch {
            throw fail("header", "not a JSON object of objects (\(error))")
        }

        var metadata: [String: String] = [:]
        var located: [(tensor: Tensor, begin: Int, end: Int)] = []
        let dataCount = bytes.count - headerEnd
        for (name, entry) in json {
            if name == "__metadata__" {
                guard case .object(let members) = entry else { throw fail(name, "not an object") }
                for (key, value) in members {
                    guard let text = value.stringValue else { throw fail("\(name).\(key)", "not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let dtypeName = entry["dtype"]?.stringValue else { throw fail("\(name).dtype", "missing or not a string") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("\(name).dtype", "'\(dtypeName)' is not one of \(DType.allCases.map(\.rawValue))")
            }
            let dims = entry["shape"]?.arrayValue ?? [.null]
            let shape = dims.compactMap(\.intValue)
            guard shape.count == dims.count, let count = Tensor.elementCount(shape) else {
                throw fail("\(name).shape", "missing or not a list of non-negative integers")
            }
            guard let offsets = entry["data_offsets"]?.arrayValue?.compactMap(\.intValue), offsets.count == 2,
                  0 <= offsets[0], offsets[0] <= offsets[1], offsets[1] <= dataCount
            else {
                throw fail("\(name).data_offsets", "missing, not [begin, end] or outside the \(dataCount) data bytes")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard count.multipliedOrNil(by: dtype.byteSize) == end - begin else {
                throw fail("\(name).data_offsets", "\(end - begin) bytes, but \(dtype.rawValue) \(shape) needs "
                    + "\(count) × \(dtype.byteSize)")
            }
            let data = Array(bytes[(headerEnd + begin)..<(headerEnd + end)])
            located.append((try Tensor(name: name, dtype: dtype, shape: shape, bytes: data), begin, end))
        }

        located.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        for item in located {
            guard item.begin == covered else {
                throw fail("\(item.tensor.name).data_offsets", "begins at \(item.begin) but the previous tensor ends at "
                    + "\(covered) (\(item.begin < covered ? "overlap" : "gap"))")
            }
            covered = item.end
        }
        guard covered == dataCount else {
            throw fail("data_offsets", "tensors cover \(covered) of the \(dataCount) data bytes")
        }
        return Contents(tensors: located.map(\.tensor), metadata: metadata)
    }

    /// A JSON string literal; hand-written JSON keeps the header in tensor order, which
    /// Foundation's serialisers do not promise.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
