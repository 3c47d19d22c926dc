import HMCore

/// `nws` / `nrws` as clients of the engine's step (`TrainingAlgorithm`): what travels across
/// ranks and when, and the work after the sum.
///
/// - every step: the gradients (generative during the sleep phase, recognition after it) and,
///   for nrws, the wake-q term `wakeGradients`;
/// - on a recompute step: the direct layers' packed Fisher sums (summed) and the Woodbury
///   layers' samples (gathered in global order), then — `afterExchange`, the same on every
///   rank — the decayed running average and the factors;
/// - after the sum: each rank solves its share of every layer's units (`ownedSegments`), and
///   the engine gathers the solved units to every rank.
extension NaturalWakeSleep {
    public func prepare(_ world: TrainingWorld) {
        self.world = world
        preconditioner.share = (world.rank, world.size)
        // Every layer's solver is known from the global counts alone: chosen now, for the log.
        plan(globalBatch: world.globalBatch, globalDreams: world.globalDreams)
    }

    public func statistics(_ share: StepShare) {
        if recomputes(at: share.step) { accumulateFisher(share) }
    }

    public func exchanges(step: Int) -> [Exchange] {
        var out = Exchange.gradients(of: machine)
        if let wake = wakeGradients {
            let store = machine.store, origin = machine.recognitionOffset
            out.append(Exchange(name: "wake-q term", payload: .floats(wake.data, count: wake.count), timing: .afterPhases,
                                bound: machine.model.gradientBound,
                                label: { "wake-q term of the recognition gradient of \(store.tensorName(at: origin + $0))" }))
        }
        guard recomputes(at: step) else { return out }
        let p = preconditioner
        for b in p.blocks {
            // Σ c h̃h̃ᵀ ≤ N/4 per entry, the count N last.
            let n = Double(p.plans.first { $0.name == b.name }?.samples ?? 1)
            out.append(Exchange(name: "Fisher sums of \(b.name)", payload: .doubles(b.buffer, count: b.bufferCount),
                                timing: .statistics, bound: max(n, 1)))
        }
        for s in p.woodburySamples {
            let name = s.name, expected = p.plans.first { $0.name == name }?.samples
            out.append(Exchange(name: "Fisher samples of \(name)", payload: .rows([s.parents, s.weights], receive: { m in
                precondition(m[0].rows == expected, "\(name): \(m[0].rows) gathered Fisher samples, the plan counts \(expected ?? -1)")
                p.setWoodburySamples(name: name, parents: m[0], weights: m[1])
            }), timing: .statistics, bound: 1))
        }
        return out
    }

    public func afterExchange(step: Int) throws {
        guard recomputes(at: step) else { return }
        // --fisher-decay: the previous (global) sums are added after the sum.
        decayFisher()
        do { try factorFisher(step: step) } catch {
            throw AlgorithmStateError(field: "fisher", "the Fisher factors failed: \(error)")
        }
    }

    public func finishGradients(step: Int) -> Bool {
        applyPreconditioner()
        return true
    }

    public func ownedSegments(rank: Int) -> [UnsafeMutableBufferPointer<Float>]? {
        world.size > 1 ? preconditioner.solvedSegments(rank: rank) : nil
    }

    public var summary: String? {
        let schedule = dampingSchedule
        return "\(preconditioner.description); Fisher statistics and factors every \(fisherEvery) step\(fisherEvery == 1 ? "" : "s")"
            + (schedule.steps > 0 && schedule.final != schedule.start
                ? "; damping from \(schedule.start) to \(schedule.final) (geometric) over \(schedule.steps) steps" : "")
            + (statistics.map { ", resumed with the factors of step \($0.step)" } ?? "")
    }
}
