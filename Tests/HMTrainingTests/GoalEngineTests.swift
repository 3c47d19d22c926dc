import Foundation
import HMCheckpoint
import HMComm
import HMCore
import HMTestSupport
import HMTraining
import Testing

/// `--goal-cycles` through the engine, on digits with their labels and a 10-goal top.
@Suite(.serialized) struct GoalEngineTests {
    static func goal(_ steps: Int = 12, _ extra: [String: String] = [:]) throws -> TrainingConfig {
        try small("rws", steps: steps, extra: ["layers": "64,16,10:categorical"].merging(extra) { $1 })
    }

    /// With no labels used, no cycles and the dreams' goals from the prior, it is rws, bit for bit.
    @Test func withoutLabelsOrCyclesItIsRWS() throws {
        let plain = try trainDirectly(Self.goal(), ranks: 1)[0]
        let c = try Self.goal(12, ["goal-cycles": "0", "goal-dreams": "prior", "labelled-fraction": "0"])
        let data = try TrainingData(c)
        #expect(data.trainLabels?.allSatisfy { $0 == -1 } == true)
        #expect(try runDirectly(c, data: data, ranks: 1) == plain)
        // And the labels, the seeded dreams and the cycles each change the run.
        for extra in [["goal-cycles": "0", "goal-dreams": "prior"], ["goal-cycles": "0", "labelled-fraction": "0"],
                      ["goal-cycles": "1", "goal-dreams": "prior", "labelled-fraction": "0"]] {
            let c = try Self.goal(12, extra)
            #expect(try runDirectly(c, data: TrainingData(c), ranks: 1) != plain, "\(extra)")
        }
    }

    /// Semi-supervised with two cycles, `--reproducible`: stopped at step 6 on 2 ranks and
    /// resumed on 3, it ends where a run on 1 rank that never stopped does.
    @Test func resumeAndWorldSizeAgree() throws {
        let tmp = try TestScratch()
        let extra = ["goal-cycles": "2", "labelled-fraction": "0.5", "reproducible": "true"]
        func go(_ steps: Int, _ dir: String, ranks: Int, resume: Bool = false) throws {
            let c = try Self.goal(steps, extra.merging(["run-dir": tmp.path(dir)].merging(resume ? ["resume": "auto"] : [:]) { $1 }) { $1 })
            let data = try TrainingData(c)
            _ = try InProcessWorld.run(size: ranks) { comm in
                try TrainingRun(config: c, comm: comm, data: data, fault: resume ? failsBeforeTheResumePoint : nil).run()
            }
        }
        try go(12, "straight", ranks: 1)
        try go(6, "stopped", ranks: 2)
        try go(12, "stopped", ranks: 3, resume: true)
        let a = try CheckpointReader.load(tmp.path("straight")), b = try CheckpointReader.load(tmp.path("stopped"))
        #expect(b.manifest.step == 12)
        for name in a.tensors.keys.sorted() where !name.hasPrefix("optimizer.") {
            #expect(a[name] == b[name], "\(name) differs after the resume on another world size")
        }
    }

    @Test func labelsOutsideTheGoalLayerAreRefusedByRow() throws {
        let c = try small("rws", extra: ["layers": "64,16,5:categorical", "goal-cycles": "1"])
        #expect { try TrainingData(c) } throws: { "\($0)".contains("outside the goal layer's 0..<5") && "\($0)".contains("row") }
    }

    /// Trains through the engine with the data's labels, on `ranks` ranks; rank 0's parameters.
    func runDirectly(_ c: TrainingConfig, data: TrainingData, ranks: Int) throws -> [Float] {
        try InProcessWorld.run(size: ranks) { comm in
            let machine = HelmholtzMachine(c.model(dataWidth: 64, imageShape: [8, 8]))
            if comm.rank == 0 { machine.initialize(seed: c.seed) }
            try comm.broadcast(UnsafeMutableRawPointer(machine.store.values.data), bytes: machine.store.count * 4, root: 0)
            let trainer = try Trainer(config: c, machine: machine, train: data.train, labels: data.trainLabels, comm: comm)
            while trainer.step < trainer.totalSteps { try trainer.runStep() }
            return machine.store.values.array
        }[0]
    }
}
