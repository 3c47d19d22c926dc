import Foundation

/// A one-dimensional NumPy `.npy` array, read without NumPy (Kilosort's output files).
///
/// Format versions 1.0, 2.0 and 3.0: the magic `\x93NUMPY`, the version, the header length
/// (2 bytes in 1.0, 4 after), then a Python dict literal giving `descr`, `fortran_order` and
/// `shape`, then the data. Accepted: little-endian (or one-byte) integers and floats,
/// `<i1…<i8`, `<u1…<u8`, `<f4`, `<f8`; shape `(N,)`, or `(N, 1)` as Kilosort 2 writes
/// spike times. Fortran order, other dtypes and data of the wrong length are refused.
public struct NPYArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case integers([Int64])
        case reals([Double])
    }

    /// The dtype as the header gives it (`<i8`).
    public let descr: String
    public let values: Values

    public var count: Int {
        switch values {
        case .integers(let v): return v.count
        case .reals(let v): return v.count
        }
    }

    public static func read(_ path: String) throws -> NPYArray {
        try parse(FileBytes.read(path), path: path)
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    static func parse(_ bytes: [UInt8], path: String) throws -> NPYArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError(path: path, field: "header", "expected the .npy magic \\x93NUMPY, found \(bytes.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " "))")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw DataError(path: path, field: "header", "expected .npy format version 1, 2 or 3, found \(major).\(bytes[7])") }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw DataError(path: path, field: "header", "truncated: the header length is missing") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let dataStart = 8 + lengthBytes + headerLength
        guard bytes.count >= dataStart else {
            throw DataError(path: path, field: "header", "truncated: expected a \(headerLength)-byte header, the file has \(bytes.count - 8 - lengthBytes) bytes after the length")
        }
        let header = String(decoding: bytes[(8 + lengthBytes)..<dataStart], as: UTF8.self)
        guard let descr = quoted(after: "'descr'", in: header) else {
            throw DataError(path: path, field: "descr", "expected 'descr': '<dtype>' in the header, found \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let fortran = value(after: "'fortran_order'", in: header), fortran.hasPrefix("False") || fortran.hasPrefix("True") else {
            throw DataError(path: path, field: "fortran_order", "expected 'fortran_order': False or True in the header")
        }
        guard fortran.hasPrefix("False") else { throw DataError(path: path, field: "fortran_order", "expected C order (False), found True") }
        let count = try length(header, path: path)
        guard let type = ElementType(descr) else {
            throw DataError(path: path, field: "descr", "expected a little-endian integer or float dtype (<i4, <i8, <u4, <u8, <f4, <f8…), found '\(descr)'")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, bytes.count - dataStart == needed else {
            throw DataError(path: path, field: "data", "expected \(count) values of \(type.size) bytes (\(count &* type.size) bytes) after the header, found \(bytes.count - dataStart) bytes")
        }
        return NPYArray(descr: descr, values: type.decode(bytes, from: dataStart, count: count))
    }

    /// N of a shape `(N,)`, `(N)` or `(N, 1)`.
    private static func length(_ header: String, path: String) throws -> Int {
        guard let shape = value(after: "'shape'", in: header), shape.hasPrefix("("), let close = shape.firstIndex(of: ")") else {
            throw DataError(path: path, field: "shape", "expected 'shape': (N,) in the header")
        }
        let dims = shape[shape.index(after: shape.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let sizes = dims.map { Int($0) }
        guard !dims.isEmpty, sizes.allSatisfy({ ($0 ?? -1) >= 0 }), dims.count == 1 || (dims.count == 2 && sizes[1] == 1) else {
            throw DataError(path: path, field: "shape", "expected a one-dimensional array, shape (N,) or (N, 1), found \(shape[...close])")
        }
        return sizes[0]!
    }

    /// The text after `key:` in a header dict, leading spaces dropped.
    private static func value(after key: String, in header: String) -> Substring? {
        guard let k = header.range(of: key) else { return nil }
        var rest = header[k.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        return rest
    }

    private static func quoted(after key: String, in header: String) -> String? {
        guard let rest = value(after: key, in: header), let q = rest.first, q == "'" || q == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: q) else { return nil }
        return String(body[..<end])
    }

    /// An accepted dtype: its kind and size.
    struct ElementType {
        let kind: Character
        let size: Int

        init?(_ descr: String) {
            let chars = Array(descr)
            guard chars.count >= 3, let size = Int(String(chars[2...])), let order = chars.first, "iuf".contains(chars[1]) else { return nil }
            let sizes = chars[1] == "f" ? [4, 8] : [1, 2, 4, 8]
            guard sizes.contains(size), order == "<" || (order == "|" && size == 1) else { return nil }
            kind = chars[1]
            self.size = size
        }

        func decode(_ bytes: [UInt8], from start: Int, count: Int) -> Values {
            func word(_ i: Int) -> UInt64 {
                let at = start + i * size
                var v: UInt64 = 0
                for b in 0..<size { v |= UInt64(bytes[at + b]) << (8 * b) }
                return v
            }
            switch kind {
            case "f":
                return .reals((0..<count).map { size == 4 ? Double(Float(bitPattern: UInt32(word($0)))) : Double(bitPattern: word($0)) })
            case "i":
                let shift = UInt64(64 - 8 * size)
                return .integers((0..<count).map { Int64(bitPattern: word($0) << shift) >> Int64(shift) })
            default:
                // Unsigned values above Int64.max wrap negative, which the readers refuse as < 0.
                return .integers((0..<count).map { Int64(bitPattern: word($0)) })
            }
        }
    }
}
