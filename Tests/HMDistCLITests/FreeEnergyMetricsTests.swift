import Foundation
import HMTestSupport
import Testing

/// `metrics.jsonl`'s `free_energy` (docs/command-line.md): the batch free energy of the
/// step's wake samples, for every algorithm with a sampleable q.
@Suite struct FreeEnergyMetricsTests {
    func records(_ algorithm: String, in tmp: TestScratch) throws -> [[String: Any]] {
        let dir = tmp.path(algorithm)
        let r = try runHMDist(["train", "--data", "bars", "--layers", "25,8,4", "--algorithm", algorithm, "--steps", "20", "--batch", "20",
                               "--log-every", "5", "--run-dir", dir], in: tmp)
        try #require(r.succeeded, "\(r)")
        let text = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["wake_bound"] != nil }
    }

    @Test(arguments: ["ws", "rws", "nrws", "ddc"])
    func everyStepRecordHasItsFreeEnergy(algorithm: String) throws {
        let rows = try records(algorithm, in: try TestScratch())
        try #require(rows.count == 4, "\(rows)")
        for row in rows {
            let bound = try #require(row["wake_bound"] as? Double)
            if algorithm == "ddc" { #expect(row["free_energy"] == nil, "ddc has no q to sample: \(row)"); continue }
            let f = try #require(row["free_energy"] as? Double, "\(row)")
            // K = 1: the bound is log w and the free energy −log w; K > 1: −F ≤ the bound (Jensen).
            if algorithm == "ws" { #expect(abs(f + bound) < 1e-9 * max(1, abs(f)), "\(row)") } else { #expect(-f <= bound + 1e-9, "\(row)") }
        }
    }
}
