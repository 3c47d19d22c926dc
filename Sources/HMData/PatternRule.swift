import Foundation

/// A rule that binary patterns obey or not: the "well-formed" test of the free-energy
/// experiment (Liu 2023), or a user's own program. A named, testable object, used by `sample
/// --rule` and active sampling.
///
/// - `rhythm10`: the first bit is 1; it does not start with 100 nor end with 001; no 00100
///   and no 0000 anywhere (256 of the 1,024 10-bit strings);
/// - `rhythm10-lax`: the paper's checker, whose loops stop one window short at the end of the
///   string (`range(n − 5)` for 00100, `range(n − 4)` for 0000): it also accepts 17 strings
///   with those patterns in their last window (273 in all);
/// - `cmd:PROGRAM`: PROGRAM (run through `/bin/sh -c`) reads the patterns on stdin, one 0/1
///   string a line, and writes one answer a line, 1 (obeys) or 0.
public enum PatternRule: Equatable, Sendable {
    case rhythm10
    case rhythm10Lax
    case command(String)

    public init(spec: String) throws {
        switch spec {
        case "rhythm10": self = .rhythm10
        case "rhythm10-lax": self = .rhythm10Lax
        default:
            guard spec.hasPrefix("cmd:"), spec.count > 4 else {
                throw DataError(path: "command line", field: "rule", "expected rhythm10, rhythm10-lax or cmd:PROGRAM, found \(spec)")
            }
            self = .command(String(spec.dropFirst(4)))
        }
    }

    public var name: String {
        switch self {
        case .rhythm10: return "rhythm10"
        case .rhythm10Lax: return "rhythm10-lax"
        case .command(let p): return "cmd:\(p)"
        }
    }

    /// Whether each pattern (0/1 values; above 0.5 counts as 1) obeys the rule.
    public func accepts(_ patterns: [[Float]]) throws -> [Bool] {
        let strings = patterns.map { String($0.map { $0 > 0.5 ? "1" : "0" }) }
        switch self {
        case .rhythm10: return strings.map { Self.wellFormed($0, lax: false) }
        case .rhythm10Lax: return strings.map { Self.wellFormed($0, lax: true) }
        case .command(let program): return try Self.run(program, strings)
        }
    }

    static func wellFormed(_ s: String, lax: Bool) -> Bool {
        let b = Array(s.utf8), n = b.count
        func has(_ window: String, upTo last: Int) -> Bool {
            let w = Array(window.utf8)
            return last >= 0 && (0...last).contains { k in k + w.count <= n && Array(b[k..<(k + w.count)]) == w }
        }
        guard n >= 3, b[0] == UInt8(ascii: "1"), !s.hasPrefix("100"), !s.hasSuffix("001") else { return false }
        // The strict rule looks at every window; the paper's loops stop one short.
        return !has("00100", upTo: n - 5 - (lax ? 1 : 0)) && !has("0000", upTo: n - 4 - (lax ? 1 : 0))
    }

    /// Every pattern of `width` bits that obeys the rule, in increasing order of the pattern
    /// read as a binary number (its first bit the most significant).
    public func wellFormed(width: Int) -> [[Float]] {
        let all = (0..<(1 << width)).map { c in (0..<width).map { Float((c >> (width - 1 - $0)) & 1) } }
        guard let ok = try? accepts(all) else { return [] }
        return zip(all, ok).filter(\.1).map(\.0)
    }

    static func run(_ program: String, _ lines: [String]) throws -> [Bool] {
        let process = Process(), input = Pipe(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", program]
        process.standardInput = input
        process.standardOutput = output
        do { try process.run() } catch {
            throw DataError(path: program, field: "rule", "cannot start the rule's program: \(error)")
        }
        let text = lines.map { $0 + "\n" }.joined()
        // A program that stops reading early must not kill us with SIGPIPE: the write fails instead.
        signal(SIGPIPE, SIG_IGN)
        // Write on another thread so that a program answering as it reads cannot deadlock us.
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataError(path: program, field: "rule", "the rule's program exited with status \(process.terminationStatus)")
        }
        let answers = answer.split(separator: "\n", omittingEmptySubsequences: false).dropLast(answer.hasSuffix("\n") ? 1 : 0)
        guard answers.count == lines.count else {
            throw DataError(path: program, field: "rule", "expected one answer a line for \(lines.count) patterns, found \(answers.count) lines")
        }
        return try answers.enumerated().map { i, a in
            let t = a.trimmingCharacters(in: .whitespaces)
            guard t == "0" || t == "1" else {
                throw DataError(path: program, field: "rule", "line \(i + 1): expected 1 or 0, found \(t.prefix(40))")
            }
            return t == "1"
        }
    }
}
