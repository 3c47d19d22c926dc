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
        let terminated = bytes + [0]
        try terminated.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!, count = bytes.count
            var parser = FlatJSON(base: base)
            var start = 0, line = 0
            while start < count {
                line += 1
                let end = memchr(base + start, 0x0A, count - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? count
                let complete = end < count
                var blank = true
                for j in start..<end where base[j] != 0x20 && base[j] != 0x0D && base[j] != 0x09 { blank = false; break }
                if !blank {
                    if let record = parser.parse(start, end) {
                        records.append(record)
                    } else if complete {
                        throw ReportError(path: path, "line \(line): expected one JSON object of numbers per line")
                    } else {
                        partial = true
                    }
                }
                start = end + 1
            }
        }
        self.records = records
        partialLastLine = partial
        wallTimes = Self.wallTimes(records)
    }

    /// Each record's wall time in seconds since the run first started: `time` restarts at 0
    /// when a run resumes, so each restart continues from the last time before it.
    public let wallTimes: [Double]

    static func wallTimes(_ records: [[String: Double]]) -> [Double] {
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
        var out: [(x: Double, y: Double)] = []
        for (i, r) in records.enumerated() {
            guard let v = r[field], v.isFinite else { continue }
            out.append((againstTime ? wallTimes[i] : r["step"] ?? Double(i), v))
        }
        return out
    }

    /// How many records have a finite `field`: the point count of its curves.
    public func count(_ field: String) -> Int {
        records.reduce(0) { $0 + (($1[field]?.isFinite ?? false) ? 1 : 0) }
    }
}

/// A parser of one flat JSON object, fast enough for 100,000 lines in well under a second:
/// it works on the file's bytes in place, reads numbers with `strtod` and makes each field
/// name's `String` once per file.
struct FlatJSON {
    /// The file's bytes, followed by a NUL so that `strtod` stops at the end.
    let base: UnsafePointer<UInt8>
    var i = 0, end = 0
    var names: [(bytes: [UInt8], name: String)] = []

    init(base: UnsafePointer<UInt8>) { self.base = base }

    /// The object on bytes `start..<end`, or nil if they are not one flat JSON object.
    mutating func parse(_ start: Int, _ end: Int) -> [String: Double]? {
        i = start
        self.end = end
        guard eat(UInt8(ascii: "{")) else { return nil }
        var out: [String: Double] = [:]
        if eat(UInt8(ascii: "}")) { return finished(out) }
        repeat {
            skipSpace()
            guard let key = string(), eat(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard i < end else { return nil }
            switch base[i] {
            case UInt8(ascii: "\""): guard skipString() else { return nil }
            case UInt8(ascii: "{"), UInt8(ascii: "["): guard skipNested() else { return nil }
            case UInt8(ascii: "t"): guard word("true") else { return nil }; out[key] = 1
            case UInt8(ascii: "f"): guard word("false") else { return nil }; out[key] = 0
            case UInt8(ascii: "n"): guard word("null") else { return nil }
            default:
                guard let v = number() else { return nil }
                out[key] = v
            }
        } while eat(UInt8(ascii: ","))
        guard eat(UInt8(ascii: "}")) else { return nil }
        return finished(out)
    }

    mutating func skipSpace() {
        while i < end, base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0D { i += 1 }
    }

    mutating func eat(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < end, base[i] == c else { return false }
        i += 1
        return true
    }

    func finished(_ out: [String: Double]) -> [String: Double]? {
        var j = i
        while j < end, base[j] == 0x20 || base[j] == 0x09 || base[j] == 0x0D { j += 1 }
        return j == end ? out : nil
    }

    mutating func word(_ w: StaticString) -> Bool {
        let n = w.utf8CodeUnitCount
        guard i + n <= end, memcmp(base + i, w.utf8Start, n) == 0 else { return false }
        i += n
        return true
    }

    /// Skips a string; after it, `i` is past its closing quote.
    mutating func skipString() -> Bool {
        guard i < end, base[i] == UInt8(ascii: "\"") else { return false }
        i += 1
        while i < end, base[i] != UInt8(ascii: "\"") { i += base[i] == UInt8(ascii: "\\") ? 2 : 1 }
        guard i < end else { return false }
        i += 1
        return true
    }

    /// A field name (escapes kept as written: field names have none), made once per file.
    mutating func string() -> String? {
        let start = i + 1
        guard skipString() else { return nil }
        let count = i - 1 - start
        if let known = names.first(where: { $0.bytes.count == count && memcmp($0.bytes, base + start, count) == 0 }) {
            return known.name
        }
        let bytes = Array(UnsafeBufferPointer(start: base + start, count: count))
        let name = String(decoding: bytes, as: UTF8.self)
        names.append((bytes, name))
        return name
    }

    mutating func number() -> Double? {
        var stop: UnsafeMutablePointer<CChar>?
        let v = (base + i).withMemoryRebound(to: CChar.self, capacity: end - i) { p -> Double in
            strtod(p, &stop)
        }
        let used = stop.map { UnsafeRawPointer($0) - UnsafeRawPointer(base + i) } ?? 0
        guard used > 0, i + used <= end else { return nil }
        i += used
        return v
    }

    /// Skips a nested object or array (strings inside included).
    mutating func skipNested() -> Bool {
        var depth = 0
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") { guard skipString() else { return false }; continue }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1 }
            i += 1
            if depth == 0 { return true }
        }
        return false
    }
}
