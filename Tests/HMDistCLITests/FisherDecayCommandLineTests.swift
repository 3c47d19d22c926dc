import Foundation
import HMTestSupport
import Testing
import HMCheckpoint

/// `--fisher-decay ρ` of nws/nrws end to end through the real `hm-dist` executable: a running
/// average of the direct layers' Fisher blocks, with the previous (global) sums added after the
/// reduction across ranks, so that the run agrees across world sizes (bit for bit with
/// `--reproducible`) and resumes exactly from the running sums in the checkpoint. Tiny runs
/// (bars, 25-10-5, ≤ 40 steps). Built like NaturalCommandLineTests.
@Suite(.serialized)
struct FisherDecayCommandLineTests {
    static let model = ["--data", "bars", "--layers", "25,10,5"]
    /// generative.0 (10 dreams < d = 11) and recognition.0 (12 data points < d = 26) take the
    /// Woodbury solver; generative.1 and recognition.1 (and the exact prior) stay direct.
    static let small = ["--batch", "12", "--dreams", "10"]
    static let decay = ["--algorithm", "nrws", "--fisher-decay", "0.9", "--fisher-every", "3"]

    static func parameters(_ c: Checkpoint) -> [String] {
        c.tensors.keys.filter { $0.hasPrefix("generative.") || $0.hasPrefix("recognition.") }.sorted()
    }

    /// 40 steps, `--ranks 1` against `--ranks 2`: the parameters agree within 1e-5 relative
    /// (summation order only), and with `--reproducible` every tensor — parameters, optimizer
    /// state and the running Fisher sums — is the same bytes. The log names the averaged
    /// layers; and the decay does change the run (against `--fisher-decay 0`).
    @Test func nrwsWithDecayAgreesAcrossWorldSizes() throws {
        let tmp = try TestScratch()
        let base = ["train"] + Self.model + Self.small + Self.decay + ["--steps", "40", "--log-every", "10"]
        for reproducible in [false, true] {
            let flags = reproducible ? ["--reproducible"] : []
            var runs: [Checkpoint] = []
            for ranks in [1, 2] {
                let dir = tmp.path("r\(ranks)\(reproducible ? "x" : "")")
                let r = try runHMDist(base + flags + ["--ranks", "\(ranks)", "--run-dir", dir], in: tmp)
                try #require(r.succeeded, "\(r)")
                #expect(r.stdout.contains("Fisher decay 0.9: running average of the direct layers' blocks (generative.1, recognition.1.wake)")
                        && r.stdout.contains("generative.0 woodbury (N = 10 < d = 11"), "\(r)")
                runs.append(try CheckpointReader.load(dir))
            }
            let names = runs[0].tensors.keys.sorted()
            #expect(names.contains("fisher.recognition.1.wake.blocks") && names.contains("fisher.generative.0.parents"), "\(names)")
            #expect(runs[1].tensors.keys.sorted() == names)
            if reproducible {
                for name in names where runs[0][name]?.bytes != runs[1][name]?.bytes {
                    Issue.record("--reproducible --fisher-decay: \(name) differs between --ranks 1 and 2")
                }
            } else {
                let d = try checkpointDifference(runs[0], runs[1], tensors: Self.parameters(runs[0]))
                print("FisherDecayCommandLineTests: --fisher-decay 0.9, --ranks 1 vs 2: max relative L2 \(d.relative), max |Δ| \(d.maxAbs)")
                #expect(d.relative <= 1e-5, "--ranks 1 vs 2: \(d.relative) in \(d.worstTensor)")
            }
        }
        // Without the decay the trajectory is another one.
        let off = tmp.path("off")
        try #require(try runHMDist(base.map { $0 == "0.9" ? "0" : $0 } + ["--run-dir", off], in: tmp).succeeded)
        let d = try checkpointDifference(try CheckpointReader.load(off), try CheckpointReader.load(tmp.path("r1")),
                                    tensors: Self.parameters(try CheckpointReader.load(off)))
        #expect(d.relative > 1e-3, "--fisher-decay 0.9 did not change the run: \(d.relative)")
    }

    /// 20 steps, then resumed to 40, is the same bytes as 40 straight steps (2 ranks): step 20
    /// falls between the recomputes at 18 and 21, and the recompute at 21 decays the running
    /// sums of step 18, which only the checkpoint gives back.
    @Test func nrwsWithDecayResumesBitIdentically() throws {
        let tmp = try TestScratch()
        let base = ["train"] + Self.model + Self.small + Self.decay + ["--ranks", "2"]
        let straight = tmp.path("S"), split = tmp.path("R")
        try #require(try runHMDist(base + ["--steps", "40", "--run-dir", straight], in: tmp).succeeded)
        try #require(try runHMDist(base + ["--steps", "20", "--run-dir", split], in: tmp).succeeded)
        let middle = try CheckpointReader.load(split)
        #expect(try middle["fisher.step"]?.values(as: Int64.self) == [18])
        // The running count of recognition.1.wake (60 samples a recompute, 7 recomputes: 0, 3,
        // …, 18) is Σ 0.9^k · 60 — the sums in the checkpoint are the running ones.
        let blocks = try #require(middle["fisher.recognition.1.wake.blocks"])
        let count = try #require(try blocks.values(as: Double.self).last)
        let expected = (0..<7).reduce(0.0) { acc, _ in acc * 0.9 + 60 }
        #expect(abs(count - expected) <= 1e-9 * expected, "running count \(count), expected \(expected)")

        let resumed = try runHMDist(base + ["--steps", "40", "--run-dir", split, "--resume", "auto"], in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        #expect(resumed.stdout.contains("resumed with the factors of step 18"), "\(resumed)")
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(split)
        #expect(a.manifest.step == 40 && b.manifest.step == 40)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for name in a.tensors.keys.sorted() {
            #expect(a[name]?.bytes == b[name]?.bytes, "\(name) differs between 40 straight steps and 20 + resume + 20")
        }
    }

    /// A damping schedule (α from 0.1 to 0.001 over 40 steps) changes the run, and resuming
    /// between recomputes refactors with the α of the recompute step: 20 + resume + 20 is the
    /// same bytes as 40 straight.
    @Test func dampingScheduleResumesBitIdentically() throws {
        let tmp = try TestScratch()
        let schedule = ["--damping", "0.1", "--damping-final", "0.001", "--damping-steps", "40"]
        let base = ["train"] + Self.model + Self.small + ["--algorithm", "nrws", "--fisher-every", "3"]
        let straight = tmp.path("S"), split = tmp.path("R"), constant = tmp.path("C")
        let first = try runHMDist(base + schedule + ["--steps", "40", "--run-dir", straight], in: tmp)
        try #require(first.succeeded, "\(first)")
        #expect(first.stdout.contains("damping from 0.1 to 0.001 (geometric) over 40 steps"), "\(first)")
        try #require(try runHMDist(base + ["--damping", "0.1", "--steps", "40", "--run-dir", constant], in: tmp).succeeded)
        try #require(try runHMDist(base + schedule + ["--steps", "20", "--run-dir", split], in: tmp).succeeded)
        let resumed = try runHMDist(base + schedule + ["--steps", "40", "--run-dir", split, "--resume", "auto"], in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(split), c = try CheckpointReader.load(constant)
        for name in a.tensors.keys.sorted() {
            #expect(a[name]?.bytes == b[name]?.bytes, "\(name) differs between 40 straight steps and 20 + resume + 20")
        }
        #expect(a["generative.0.weight"]?.bytes != c["generative.0.weight"]?.bytes, "the schedule changed nothing")
    }

    /// A decay outside [0, 1) is refused with a message that says so.
    @Test func refusedDecay() throws {
        let tmp = try TestScratch()
        for value in ["1", "-0.5", "nan"] {
            let r = try runHMDist(["train"] + Self.model + ["--steps", "2", "--algorithm", "nrws", "--fisher-decay=\(value)"], in: tmp)
            #expect(r.exited && r.status != 0, "\(r)")
            #expect((r.stderr + r.stdout).contains("fisher-decay: expected a number in [0, 1)"), "\(value): \(r)")
        }
    }
}
