import Foundation
import HMCheckpoint
import HMComm
import HMTestSupport
import HMTraining
import Testing
@testable import HMReport

/// Reports of short real runs (the engine on the built-in digits, in this process).
@Suite struct ReportTests {
    /// Trains a small machine on digits into `dir` and returns the run directory.
    @discardableResult
    func train(_ dir: String, seed: Int = 1, steps: Int = 40, extra: [String: String] = [:]) throws -> String {
        let options = ["data": "digits", "layers": "64,16,8", "batch": "20", "algorithm": "ws", "steps": "\(steps)", "seed": "\(seed)",
                       "log-every": "1", "eval-every": "20", "eval-samples": "5", "run-dir": dir].merging(extra) { $1 }
        let c = try TrainingOptions.resolve(options.sorted { $0.key < $1.key }.map { ($0.key, .text($0.value), "test") })
        _ = try TrainingRun(config: c, comm: SingleProcessCommunicator(), data: TrainingData(c)).run()
        return dir
    }

    /// The `data-points` of each curve path of `field` against steps, by series name.
    func paths(_ page: String, figure: String) -> [String: Int] {
        guard let start = page.range(of: "<figure id=\"\(figure)\">"), let end = page[start.upperBound...].range(of: "</figure>") else { return [:] }
        let svg = page[start.upperBound..<end.lowerBound]
        var out: [String: Int] = [:]
        for match in svg.matches(of: #/data-series="([^"]*)" data-points="(\d+)"/#) { out[String(match.1)] = Int(match.2) }
        return out
    }

    @Test func twoRunsAreOverlaidInEveryCurve() throws {
        let tmp = try TestScratch()
        let a = try train(tmp.path("a"), seed: 1), b = try train(tmp.path("b"), seed: 2, steps: 30)
        let page = try Report.page([a, b])
        let records = try [a, b].map { try MetricsFile(path: $0 + "/metrics.jsonl") }
        for figure in ["curve-wake_bound-step", "curve-wake_bound-time", "curve-valid_log_likelihood-step", "curve-points_per_second-time"] {
            let series = paths(page, figure: figure)
            #expect(series.keys.sorted() == ["a", "b"], "\(figure): \(series)")
        }
        #expect(paths(page, figure: "curve-wake_bound-step") == ["a": records[0].count("wake_bound"), "b": records[1].count("wake_bound")])
        #expect(records[0].count("wake_bound") == 40 && records[1].count("wake_bound") == 30)
        #expect(page.contains("id=\"run-0\"") && page.contains("id=\"run-1\""))
        #expect(page.contains("id=\"samples-1\"") && page.contains("id=\"fields-recognition-0\"") && page.contains("id=\"data-0\""))
    }

    @Test func aCorruptCheckpointIsMarkedAndTheOlderOneDrawn() throws {
        let tmp = try TestScratch()
        let run = try train(tmp.path("r"), extra: ["checkpoint-every": "20"])
        let steps = CheckpointReader.committedSteps(in: run)
        try #require(steps.map(\.step) == [40, 20])
        let shard = try #require(FileManager.default.contentsOfDirectory(atPath: steps[0].directory).first { $0.hasSuffix(".zst") })
        let file = steps[0].directory + "/" + shard
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let page = try Report.page([run])
        #expect(page.contains("FAILS verification"))
        #expect(page.contains(HTML.escape(file)), "the problem names the shard")
        #expect(page.contains("samples of the model at step 20"))
        #expect(page.components(separatedBy: "class=\"good\">verified").count == 2, "the step-20 checkpoint verifies")
    }

    @Test func badInputNamesTheFileAndWhatWasExpected() throws {
        let tmp = try TestScratch()
        #expect { try Report.page([tmp.path("none")]) } throws: { "\($0)".contains(tmp.path("none")) && "\($0)".contains("run directory") }
        try FileManager.default.createDirectory(atPath: tmp.path("empty"), withIntermediateDirectories: true)
        #expect { try Report.page([tmp.path("empty")]) } throws: { "\($0)".contains(tmp.path("empty") + "/metrics.jsonl") }
    }

    @Test func theWrittenPageIsWholeAndEscaped() throws {
        let tmp = try TestScratch()
        let run = try train(tmp.path("a<b>&c"), steps: 20)
        let out = tmp.path("page.html")
        let bytes = try Report.write([run], to: out)
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.utf8.count == bytes && page.hasSuffix("</html>\n"))
        #expect(!page.contains("a<b>&c") && page.contains("a&lt;b&gt;&amp;c"))
        #expect(!page.contains("<script"))
        // No network: the only URL is the SVG namespace.
        #expect(!page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        #expect(!FileManager.default.fileExists(atPath: out + ".tmp"))
    }
}
