import Foundation
import HMCheckpoint
import HMTestSupport
import HMTraining
import Testing

/// `--multilevel` through the engine: λ is a function of the step and every draw is keyed by
/// (step, point), so a run resumed mid-schedule, on another world size, ends bit for bit where
/// a run that never stopped does.
@Suite(.serialized) struct MultilevelEngineTests {
    static let cues = ["multilevel": "true", "multilevel-epochs": "1", "reproducible": "true"]

    @Test(arguments: [("rws", 1, 3), ("ws", 2, 1), ("nws", 1, 2)])
    func resumeMidScheduleIsExact(algorithm: String, first: Int, second: Int) throws {
        let tmp = try TestScratch()
        try run(small(algorithm, steps: 12, extra: Self.cues.merging(["run-dir": tmp.path("straight")]) { $1 }), ranks: first)
        try run(small(algorithm, steps: 6, extra: Self.cues.merging(["run-dir": tmp.path("stopped")]) { $1 }), ranks: first)
        try run(small(algorithm, steps: 12, extra: Self.cues.merging(["run-dir": tmp.path("stopped"), "resume": "auto"]) { $1 }),
                ranks: second, fault: failsBeforeTheResumePoint)
        let a = try CheckpointReader.load(tmp.path("straight")), b = try CheckpointReader.load(tmp.path("stopped"))
        #expect(b.manifest.step == 12)
        for name in a.tensors.keys.sorted() where !name.hasPrefix("optimizer.") {
            #expect(a[name] == b[name], "\(algorithm) \(first)→\(second) ranks: \(name) differs after the resume")
        }
    }

    /// The cues change the trajectory (it is not plain training under another name), and once
    /// λ has reached 0 the wrapper changes nothing: zero cue epochs is plain training, bit for bit.
    @Test func cuesChangeTheRunAndZeroEpochsIsPlain() throws {
        let plain = try trainDirectly(small("rws", extra: ["reproducible": "true"]), ranks: 1)[0]
        let cued = try trainDirectly(small("rws", extra: Self.cues), ranks: 2)[0]
        let off = try trainDirectly(small("rws", extra: Self.cues.merging(["multilevel-epochs": "0"]) { $1 }), ranks: 2)[0]
        #expect(cued != plain)
        #expect(off == plain)
    }

    @Test func nonBinaryLayersAreRefusedByName() throws {
        let c = try small("rws", extra: ["multilevel": "true", "layers": "64,16:categorical,8"])
        #expect { try trainDirectly(c, ranks: 1) } throws: { "\($0)".contains("every layer must be bernoulli") && "\($0)".contains("categorical") }
    }
}
