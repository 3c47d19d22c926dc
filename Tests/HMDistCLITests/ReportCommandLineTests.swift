import Foundation
import HMTestSupport
import Testing

/// `hm-dist report` and `train --report-every` through the built binary.
@Suite struct ReportCommandLineTests {
    @Test func trainRefreshesTheRunsPageAndEndsWithItsLastStep() throws {
        let tmp = try TestScratch()
        let trained = try runHMDist(["train", "--data", "digits", "--layers", "64,16,8", "--steps", "60", "--log-every", "5",
                                     "--report-every", "20", "--run-dir", "R"], in: tmp)
        try #require(trained.succeeded, "\(trained)")
        let page = try String(contentsOfFile: tmp.path("R/report.html"), encoding: .utf8)
        #expect(page.contains("last step 60") && page.hasSuffix("</html>\n"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("R/report.html.tmp")))
        let info = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.path("R/run.json")))) as? [String: Any])
        #expect(info["world_size"] as? Int == 1 && (info["hosts"] as? [Any])?.count == 1)
        #expect(page.contains("<td>world size</td><td>1</td>"))
    }

    @Test func badRunsAreRefusedNamingTheFile() throws {
        let tmp = try TestScratch()
        let missing = try runHMDist(["report", "nowhere", "--out", "p.html"], in: tmp)
        #expect(missing.exited && missing.status == 1 && missing.stderr.contains("nowhere: no such directory"), "\(missing)")
        try FileManager.default.createDirectory(atPath: tmp.path("empty"), withIntermediateDirectories: true)
        let empty = try runHMDist(["report", "empty", "--out", "p.html"], in: tmp)
        #expect(empty.status == 1 && empty.stderr.contains("empty/metrics.jsonl: missing"), "\(empty)")
        #expect(!FileManager.default.fileExists(atPath: tmp.path("p.html")))
        let noRunDir = try runHMDist(["train", "--steps", "2", "--report-every", "1"], in: tmp)
        #expect(noRunDir.status == 1 && noRunDir.stderr.contains("report-every"), "\(noRunDir)")
    }
}
