import Foundation

/// A run's `metrics.jsonl` read back: one record per line, each a flat JSON object whose
/// numbers (and booleans, as 0 or 1) are kept by field name; strings and nested values are
/// skipped. A run still training may be caught mid-line, so a last line without its newline
/// that does not parse is left out (`partialLastLine`) rather than refused; a bad line
/// anywhere else is an error naming the file and the line.
public struct MetricsFile {
    public let path: String
    public let records: [[String: Double]]
    public let partialLastLine: Bool

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError(path: path, "missing or unreadable: expected the run's metrics.jsonl (one JSON object per line)")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        var records: [[String: Double]] = [], partial = false
        var start = 0, line = 0
        while start < bytes.count {
            line += 1
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let complete = end < bytes.count
            if bytes[start..<end].contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) {
                if let record = FlatJSON.parse(bytes[start..<end]) {
                    records.append(record)
                } else if complete {
                    throw ReportError(path: path, "line \(line): expected one JSON object of numbers per line")
                } else {
                    partial = true
                }
            }
            start = end + 1
        }
        self.records = records
        partialLastLine = partial
    }

    /// Each record's wall time in seconds since the run first started: `time` restarts at 0
    /// when a run resumes, so each restart continues from the last time before it.
    public var wallTimes: [Double] {
        var out: [Double] = [], offset = 0.0, previous = 0.0
        out.reserveCapacity(records.count)
        for r in records {
            let t = r["time"] ?? previous - offset
            if t + offset < previous { offset = previous }
            previous = t + offset
            out.append(previous)
        }
        return out
    }

    /// (x, value) of every record that has a finite `field`, x being its step or its wall time.
    public func points(_ field: String, againstTime: Bool) -> [(x: Double, y: Double)] {
        let times = againstTime ? wallTimes : []
        var out: [(x: Double, y: Double)] = []
        for (i, r) in records.enumerated() {
            guard let v = r[field], v.isFinite else { continue }
            out.append((againstTime ? times[i] : r["step"] ?? Double(i), v))
        }
        return out
    }

    /// How many records have a finite `field`: the point count of its curves.
    public func count(_ field: String) -> Int {
        records.reduce(0) { $0 + (($1[field]?.isFinite ?? false) ? 1 : 0) }
    }
}

/// A parser of one flat JSON object, fast enough for 100,000 lines in well under a second.
enum FlatJSON {
    static func parse(_ line: ArraySlice<UInt8>) -> [String: Double]? {
        var p = Parser(bytes: line)
        return p.object()
    }

    struct Parser {
        let bytes: ArraySlice<UInt8>
        var i: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            i = bytes.startIndex
        }

        mutating func skipSpace() {
            while i < bytes.endIndex, [0x20, 0x09, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func eat(_ c: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.endIndex, bytes[i] == c else { return false }
            i += 1
            return true
        }

        mutating func object() -> [String: Double]? {
            guard eat(UInt8(ascii: "{")) else { return nil }
            var out: [String: Double] = [:]
            if eat(UInt8(ascii: "}")) { return finished(out) }
            repeat {
                skipSpace()
                guard let key = string(), eat(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard i < bytes.endIndex else { return nil }
                switch bytes[i] {
                case UInt8(ascii: "\""): guard string() != nil else { return nil }
                case UInt8(ascii: "{"), UInt8(ascii: "["): guard skipNested() else { return nil }
                default:
                    guard let v = scalar() else { return nil }
                    if let v { out[key] = v }
                }
            } while eat(UInt8(ascii: ","))
            guard eat(UInt8(ascii: "}")) else { return nil }
            return finished(out)
        }

        mutating func finished(_ out: [String: Double]) -> [String: Double]? {
            skipSpace()
            return i == bytes.endIndex ? out : nil
        }

        /// A string's text (escapes kept as written: field names have none).
        mutating func string() -> String? {
            guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            i += 1
            while i < bytes.endIndex, bytes[i] != UInt8(ascii: "\"") {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard i < bytes.endIndex else { return nil }
            defer { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        /// A number, true/false (1/0) or null (`.some(nil)`); nil when malformed.
        mutating func scalar() -> Double?? {
            for (word, value) in [("true", 1.0), ("false", 0.0), ("null", Double?.none)] as [(String, Double?)] {
                let w = Array(word.utf8)
                if bytes[i...].starts(with: w) { i += w.count; return .some(value) }
            }
            let start = i
            while i < bytes.endIndex, let c = Optional(bytes[i]),
                  (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                  || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { i += 1 }
            guard i > start, let v = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { return nil }
            return .some(v)
        }

        /// Skips a nested object or array (strings inside included).
        mutating func skipNested() -> Bool {
            var depth = 0
            while i < bytes.endIndex {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { guard string() != nil else { return false }; continue }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1 }
                i += 1
                if depth == 0 { return true }
            }
            return false
        }
    }
}
