import Foundation

/// Spike files of rows `unit,time_seconds` (docs/spikes.md).
///
/// Line 1 may be a header: it is one when its time field is not a number. Blank lines are
/// skipped; the rows may come in any order. A unit is a name (`3`, `tet2_a`); a unit that
/// reads as a negative number is refused, since unit numbers are ≥ 0. Every bad row is an
/// error naming its line, so a file is never read in part.
public enum SpikeCSV {
    public static func read(_ path: String) throws -> SpikeRecording {
        try parse(FileBytes.read(path), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> SpikeRecording {
        var labels: [String] = [], times: [Double] = []
        var line = 0, start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            line += 1
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            start = end + 1
            let fields = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            if fields.count == 1 && fields[0].isEmpty { continue }
            let row = "line \(line)"
            guard fields.count == 2 else {
                throw DataError(path: path, field: row, "expected 2 comma-separated fields unit,time_seconds, found \(fields.count): \"\(text.prefix(60))\"")
            }
            guard let time = Double(fields[1]) else {
                if line == 1 { continue }   // the header
                throw DataError(path: path, field: row, "expected a time in seconds, found \"\(fields[1].prefix(40))\"")
            }
            guard time.isFinite, time >= 0 else {
                throw DataError(path: path, field: row, "expected a finite time ≥ 0 seconds, found \(fields[1])")
            }
            let unit = fields[0]
            guard !unit.isEmpty else { throw DataError(path: path, field: row, "expected a unit (a number ≥ 0 or a name), found an empty field") }
            if let n = Double(unit), n < 0 {
                throw DataError(path: path, field: row, "expected a unit number ≥ 0 or a name, found \(unit)")
            }
            labels.append(unit)
            times.append(time)
        }
        guard !times.isEmpty else { throw DataError(path: path, field: "data", "expected rows unit,time_seconds; the file has no spikes") }
        return SpikeRecording(units: labels, times: times)
    }

    /// The rows of `recording`, header first, in time order. Times are written in the
    /// shortest form that reads back as the same number, so a file read back is the same
    /// recording — except for channels without spikes, which a file cannot show.
    public static func text(_ recording: SpikeRecording) -> String {
        var out = "unit,time_seconds\n"
        out.reserveCapacity(24 * recording.spikeCount + 20)
        for (c, t) in zip(recording.channels, recording.times) {
            out += recording.units[c]
            out += ","
            out += "\(t)\n"
        }
        return out
    }

    public static func write(_ recording: SpikeRecording, to path: String) throws {
        try FileBytes.write(Array(text(recording).utf8), to: path)
    }
}
