import HMComm
import HMCore
import HMTraining
import Testing

/// `bench --timeline`'s recording, through the engine on two in-process ranks.
@Suite(.serialized) struct TimelineTests {
    /// Every rank's timelines of `steps` steps, gathered, and the final parameters.
    func recorded(_ algorithm: String, reproducible: Bool, timeline: Bool) throws -> (ranks: [[StepTimeline]], values: [Float]) {
        let c = try small(algorithm, steps: 4, extra: reproducible ? ["reproducible": "true"] : [:])
        return try InProcessWorld.run(size: 2) { comm in
            let machine = HelmholtzMachine(c.model(dataWidth: 64, imageShape: [8, 8]))
            machine.initialize(seed: c.seed)
            let trainer = try Trainer(config: c, machine: machine, train: digits.train, comm: comm)
            trainer.recordsTimeline = timeline
            var mine: [StepTimeline] = []
            while trainer.step < trainer.totalSteps {
                try trainer.runStep()
                if let t = trainer.timeline { mine.append(t) }
            }
            return (try TimelineGather.gather(mine, comm: comm), machine.store.values.array)
        }[0]
    }

    @Test(arguments: [("rws", false), ("nrws", false), ("rws", true)])
    func everyPhaseOnEveryRankInOrder(algorithm: String, reproducible: Bool) throws {
        let (ranks, _) = try recorded(algorithm, reproducible: reproducible, timeline: true)
        #expect(ranks.count == 2)
        let every: Set<StepPhase> = [.wake, .sleep, .statistics, .absorb, .reduce, .factor, .stepSums, .solve, .gather, .optimizer]
        for (r, timelines) in ranks.enumerated() {
            #expect(timelines.map(\.step) == [0, 1, 2, 3])
            for (t, first) in zip(timelines, ranks[0]) {
                let phases = Set(t.spans.map(\.phase))
                #expect(phases.isSuperset(of: every), "\(algorithm) rank \(r) step \(t.step): phases missing")
                // Occasional phases (statistics reduced every few steps) are on every rank or none.
                #expect(phases == Set(first.spans.map(\.phase)), "rank \(r) step \(t.step): other phases than rank 0's")
                var last = 0.0
                for s in t.spans {
                    #expect(s.start >= last && s.start <= s.end, "rank \(r) step \(t.step): \(s.phase) out of order")
                    last = s.end
                }
                #expect(last <= t.total)
            }
        }
        let summary = TimelineSummary(ranks)
        let seen = Set(ranks[0].flatMap { $0.spans.map(\.phase) })
        #expect(summary.phases.map(\.phase) == StepPhase.allCases.filter(seen.contains).map(\.rawValue))
        #expect(summary.collective_fraction > 0 && summary.collective_fraction < 1)
        #expect(summary.phases.allSatisfy { $0.skew_seconds >= 0 && $0.max_seconds >= 0 })
    }

    /// Recording reads clocks only: the parameters are the same bits with it off.
    @Test func recordingChangesNothing() throws {
        let on = try recorded("nrws", reproducible: true, timeline: true)
        let off = try recorded("nrws", reproducible: true, timeline: false)
        #expect(off.ranks.allSatisfy { $0.isEmpty })
        #expect(on.values == off.values)
    }
}
