import Foundation
import HMTestSupport
import Testing

/// `rhythm10` data and `sample --format text --rule` (the free-energy experiment's scoring).
@Suite struct RhythmCommandLineTests {
    @Test func samplesAreScoredByTheRule() throws {
        let tmp = try TestScratch()
        let run = tmp.path("R")
        let t = try runHMDist(["train", "--data", "rhythm10", "--layers", "10,8,5,3", "--algorithm", "ws", "--batch", "16",
                               "--steps", "200", "--lr", "0.01", "--run-dir", run], in: tmp)
        try #require(t.succeeded, "\(t)")
        let out = tmp.path("s.txt")
        let r = try runHMDist(["sample", "--checkpoint", run, "--count", "200", "--format", "text", "--out", out, "--rule", "rhythm10", "--json"], in: tmp)
        try #require(r.succeeded, "\(r)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 200 && lines.allSatisfy { $0.count == 10 && $0.allSatisfy { $0 == "0" || $0 == "1" } })
        // The same scoring by a rule program reading the file's lines: the first bit is 1.
        let fraction = try #require(record["accepted_fraction"] as? Double)
        #expect(record["rule"] as? String == "rhythm10" && (0...1).contains(fraction) && (record["distinct"] as? Int ?? 0) >= 1, "\(record)")
        let first = try runHMDist(["sample", "--checkpoint", run, "--count", "200", "--format", "text", "--rule",
                                   "cmd:awk '{ print (substr($0, 1, 1) == \"1\") ? 1 : 0 }'", "--json"], in: tmp)
        try #require(first.succeeded, "\(first)")
        let starting = Double(lines.filter { $0.hasPrefix("1") }.count) / 200
        let viaProgram = try #require((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])?["accepted_fraction"] as? Double)
        #expect(viaProgram == starting, "the program's fraction \(viaProgram), the file's \(starting)")
        expectCleanFailure(try runHMDist(["sample", "--checkpoint", run, "--format", "text", "--rule", "rhythm9"], in: tmp), mentions: ["rule", "rhythm10"])
        // --format idx: ubyte 0/1 for draws, float32 for means; [count, 1, 10].
        for (binary, type, size) in [(true, UInt8(0x08), 1), (false, UInt8(0x0D), 4)] {
            let idx = tmp.path("s-\(binary).idx")
            let s = try runHMDist(["sample", "--checkpoint", run, "--count", "7", "--format", "idx", "--out", idx] + (binary ? ["--binary"] : []), in: tmp)
            try #require(s.succeeded, "\(s)")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: idx)))
            #expect(bytes.count == 16 + 70 * size && Array(bytes[0..<4]) == [0, 0, type, 3] && bytes[7] == 7 && bytes[11] == 1 && bytes[15] == 10,
                    "\(bytes.prefix(16))")
        }
    }
}
