import Foundation
import Testing
@testable import HMReport

@Suite struct MetricsFileTests {
    func read(_ text: String) throws -> MetricsFile {
        try MetricsFile(bytes: Array(text.utf8), path: "metrics.jsonl")
    }

    @Test func aPartialLastLineOfARunStillTrainingIsLeftOut() throws {
        let m = try read("{\"step\":1,\"time\":0.5,\"wake_bound\":-80.25}\n{\"step\":2,\"time\":1.0,\"wake_bou")
        #expect(m.records.count == 1)
        #expect(m.partialLastLine)
        #expect(m.records[0]["wake_bound"] == -80.25)
    }

    @Test func aBadLineInTheMiddleIsAnErrorNamingTheLine() {
        #expect {
            try read("{\"step\":1}\nnot json\n{\"step\":2}\n")
        } throws: { error in
            "\(error)".contains("metrics.jsonl: line 2")
        }
    }

    @Test func missingFieldsGiveCurvesOfTheRecordsThatHaveThem() throws {
        let m = try read("""
            {"epoch":0,"step":100,"time":1,"wake_bound":-90,"free_energy":91}
            {"checkpoint_bytes":1000,"epoch":0,"step":100,"time":2}
            {"epoch":0,"step":200,"time":3,"valid_log_likelihood":-95.5,"valid_samples":100,"wake_bound":-88}
            {"epoch":0,"grow_stage":1,"kept":true,"note":"a string","nested":{"a":[1,2]},"step":200,"time":4,"wake_bound":null}

            """)
        #expect(m.records.count == 4)
        #expect(m.count("wake_bound") == 2)
        #expect(m.points("valid_log_likelihood", againstTime: false).map(\.x) == [200])
        #expect(m.points("free_energy", againstTime: true).map(\.y) == [91])
        #expect(m.records[3]["kept"] == 1)
        #expect(!m.partialLastLine)
    }

    @Test func wallTimeContinuesAcrossAResume() throws {
        let m = try read("{\"step\":1,\"time\":5}\n{\"step\":2,\"time\":9}\n{\"step\":2,\"time\":1}\n{\"step\":3,\"time\":3}\n")
        #expect(m.wallTimes == [5, 9, 10, 12])
    }

    @Test func aMissingFileNamesItself() {
        #expect { try MetricsFile(path: "/nonexistent/metrics.jsonl") } throws: { "\($0)".contains("/nonexistent/metrics.jsonl") }
    }
}
