import Foundation
import HMAlgorithms
import HMCheckpoint
import HMComm
import HMCore
import HMTestSupport
import HMTraining
import Testing

/// The engine driven directly (no binary): world sizes 1–4 over the in-process communicator,
/// `--reproducible`, resume.
@Suite(.serialized) struct EngineTests {
    /// Plain sums: every rank holds the same parameters, and world sizes differ by summation
    /// order only (plain SGD, which does not blow rounding noise up as Adam's normalisation does).
    @Test(arguments: ["ws", "rws", "nws", "nrws"])
    func worldSizesAgree(algorithm: String) throws {
        let c = try small(algorithm, extra: ["optimizer": "sgd", "lr": "0.05"])
        let one = try trainDirectly(c, ranks: 1)[0]
        for ranks in 2...4 {
            let all = try trainDirectly(c, ranks: ranks)
            for (r, p) in all.enumerated() { #expect(p == all[0], "\(algorithm): rank \(r) of \(ranks) differs from rank 0") }
            let d = zip(all[0], one).map { abs($0 - $1) }.max()!
            #expect(d < 1e-4, "\(algorithm): \(ranks) ranks differ from 1 by \(d)")
        }
    }

    @Test(arguments: ["ws", "rws", "nws", "nrws"])
    func reproducibleIsTheSameBitsOnEveryWorldSize(algorithm: String) throws {
        let c = try small(algorithm, extra: ["reproducible": "true"])
        let one = try trainDirectly(c, ranks: 1)[0]
        for ranks in 2...4 {
            #expect(try trainDirectly(c, ranks: ranks)[0] == one, "\(algorithm): \(ranks) ranks")
        }
        // And it is not a no-op: the plain sums differ from the exact ones in the last bits.
        #expect(try trainDirectly(small(algorithm), ranks: 1)[0] != one)
    }

    /// A run stopped at step 6 and resumed to 12 ends with the parameters of a run that never
    /// stopped: on the same world size, and — with `--reproducible` — on another.
    @Test(arguments: [("nrws", 2, 2, false), ("nws", 2, 3, true), ("rws", 1, 4, true)])
    func resumeIsExact(algorithm: String, first: Int, second: Int, reproducible: Bool) throws {
        let tmp = try TestScratch()
        let extra = reproducible ? ["reproducible": "true"] : [:]
        try run(small(algorithm, steps: 12, extra: extra.merging(["run-dir": tmp.path("straight")]) { $1 }), ranks: first)
        try run(small(algorithm, steps: 6, extra: extra.merging(["run-dir": tmp.path("stopped")]) { $1 }), ranks: first)
        try run(small(algorithm, steps: 12, extra: extra.merging(["run-dir": tmp.path("stopped"), "resume": "auto"]) { $1 }), ranks: second,
                fault: failsBeforeTheResumePoint)
        let a = try CheckpointReader.load(tmp.path("straight")), b = try CheckpointReader.load(tmp.path("stopped"))
        #expect(b.manifest.step == 12)
        for name in a.tensors.keys.sorted() where !name.hasPrefix("optimizer.") {
            #expect(a[name] == b[name], "\(algorithm) \(first)→\(second) ranks: \(name) differs after the resume")
        }
    }

    @Test func fixedPointOverflowNamesTheTensor() throws {
        final class Huge: TrainingAlgorithm {
            let name = "huge"
            let machine: HelmholtzMachine
            init(_ m: HelmholtzMachine) { machine = m }
            func wake(_ share: StepShare) -> Double { machine.store.gradients.data[machine.store.entry("generative.0.bias")!.offset + 3] = 1e30; return 0 }
            func sleep(_ share: StepShare) -> Double { 0 }
        }
        let c = try small("ws", extra: ["reproducible": "true"])
        #expect {
            _ = try trainDirectly(c, ranks: 2) { m, _, _ in Huge(m) }
        } throws: { error in
            "\(error)".contains("generative.0.bias") && "\(error)".contains("--reproducible")
        }
    }
}

/// An algorithm from outside the engine, through the contract alone.
@Suite(.serialized) struct ContractTests {
    static let sleepOnly: AlgorithmFactory = { m, _, dreams in SleepOnly(machine: m, dreams: dreams) }

    @Test func sleepOnlyTrainsOnOneAndThreeRanksAndResumes() throws {
        let tmp = try TestScratch()
        let c = try small("ws", steps: 30, extra: ["reproducible": "true", "lr": "0.01"])
        let initial = HelmholtzMachine(c.model(dataWidth: 64, imageShape: [8, 8]))
        initial.initialize(seed: c.seed)
        let one = try trainDirectly(c, ranks: 1, algorithm: Self.sleepOnly)[0]
        let three = try trainDirectly(c, ranks: 3, algorithm: Self.sleepOnly)[0]
        #expect(one == three, "the exact sums differ between 1 and 3 ranks")
        let split = initial.recognitionOffset
        #expect(Array(one[..<split]) == Array(initial.store.values.array[..<split]), "p moved without a gradient")
        #expect(Array(one[split...]) != Array(initial.store.values.array[split...]), "q did not learn")

        // Stopped at 15 on 1 rank, resumed to 30 on 3: the bits of a run that never stopped,
        // and its state came back.
        var straight = c
        straight.runDir = tmp.path("straight")
        try run(straight, ranks: 1, algorithm: Self.sleepOnly)
        var stopped = c
        stopped.runDir = tmp.path("run")
        stopped.steps = 15
        try run(stopped, ranks: 1, algorithm: Self.sleepOnly)
        stopped.steps = 30
        stopped.resume = .auto
        try run(stopped, ranks: 3, algorithm: Self.sleepOnly, fault: failsBeforeTheResumePoint)
        let saved = try CheckpointReader.load(tmp.path("run"))
        #expect(saved.manifest.step == 30)
        #expect(try saved["sleep-only.dreams"]?.values(as: Int64.self) == [Int64(30 * c.dreams)])
        let m = try ModelCheckpoint.machine(from: saved)
        let never = try ModelCheckpoint.machine(from: CheckpointReader.load(tmp.path("straight")))
        #expect(m.store.values.array == never.store.values.array)
        #expect(saved.manifest.config["algorithm"]?.stringValue == "sleep-only")
    }
}

@Suite(.serialized) struct ScheduleEngineTests {
    /// A decaying schedule is a function of the step: a run stopped at step 6 and resumed to
    /// 12 (on another world size, `--reproducible`) ends where one that never stopped does,
    /// when `--lr-decay-steps` fixes the course; and the schedule changes the run.
    @Test func cosineResumesExactlyAndChangesTheRun() throws {
        let tmp = try TestScratch()
        let cosine = ["lr-schedule": "cosine", "lr": "0.01", "lr-final": "0.001", "lr-decay-steps": "12", "reproducible": "true"]
        try run(small("rws", steps: 12, extra: cosine.merging(["run-dir": tmp.path("straight")]) { $1 }), ranks: 1)
        try run(small("rws", steps: 6, extra: cosine.merging(["run-dir": tmp.path("stopped")]) { $1 }), ranks: 2)
        try run(small("rws", steps: 12, extra: cosine.merging(["run-dir": tmp.path("stopped"), "resume": "auto"]) { $1 }), ranks: 3,
                fault: failsBeforeTheResumePoint)
        try run(small("rws", steps: 12, extra: ["lr": "0.01", "reproducible": "true", "run-dir": tmp.path("constant")]), ranks: 1)
        let a = try CheckpointReader.load(tmp.path("straight")), b = try CheckpointReader.load(tmp.path("stopped"))
        let c = try CheckpointReader.load(tmp.path("constant"))
        for name in a.tensors.keys.sorted() where !name.hasPrefix("optimizer.") {
            #expect(a[name] == b[name], "\(name) differs after the resume")
        }
        #expect(a["generative.0.weight"] != c["generative.0.weight"])
        // The metrics record the rate of each logged step.
        let lines = try String(contentsOfFile: tmp.path("straight") + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let last = try #require(records.last { $0["wake_bound"] != nil })
        #expect(last["step"] as? Int == 12)
        let s = LearningRateSchedule(shape: .cosine, base: 0.01, final: 0.001, totalSteps: 12)
        #expect(abs((last["lr"] as? Double ?? 0) - s.rate(atStep: 11)) < 1e-15)
    }
}

@Suite(.serialized) struct ThreadedElementWiseTests {
    /// Element-wise work split over threads gives the same bits as on one thread (the layers
    /// are wide enough here for the scoring, sampling and Adam to split).
    @Test(arguments: ["rws", "ws", "nrws"])
    func twoThreadsAreTheBitsOfOne(algorithm: String) throws {
        let c = try small(algorithm, extra: ["batch": "120", "layers": "64,80,16"])
        let saved = RowParallel.threads
        defer { RowParallel.threads = saved }
        RowParallel.threads = 1
        let one = try trainDirectly(c, ranks: 1)[0]
        RowParallel.threads = 2
        let two = try trainDirectly(c, ranks: 1)[0]
        RowParallel.threads = 3
        let three = try trainDirectly(c, ranks: 2)[0]
        RowParallel.threads = 1
        let oneOnTwoRanks = try trainDirectly(c, ranks: 2)[0]
        #expect(one == two, "\(algorithm): 2 threads differ from 1")
        #expect(three == oneOnTwoRanks, "\(algorithm): 3 threads on 2 ranks differ from 1 thread on 2 ranks")
    }
}
