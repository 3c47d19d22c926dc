import Foundation
import Testing
@testable import HMAlgorithms
@testable import HMCore

/// ddc trained on data drawn from a known small machine approaches that machine's exact
/// log-likelihood on fresh data from it (every figure by enumeration).
@Suite struct DDCTeacherTests {
    func draws(_ m: HelmholtzMachine, _ n: Int, step: Int) -> Matrix {
        let sleep = SleepPhase(machine: m, dreams: n)
        sleep.dream(count: n, stream: RandomStream(key: 5, purpose: .generate, step: step), firstDream: 0)
        let x = Matrix(rows: n, cols: m.widths[0])
        x.copy(from: sleep.dream[0])
        return x
    }

    func meanLL(_ m: HelmholtzMachine, _ x: Matrix) throws -> Double {
        try ExactLogLikelihood.logLikelihoods(m, data: x).reduce(0, +) / Double(x.rows)
    }

    @Test func learnsATeachersDistribution() throws {
        let teacher = randomMachine([8, 3, 2], seed: 21, scale: 2.0)
        let train = draws(teacher, 4000, step: 0), test = draws(teacher, 2000, step: 1)
        let target = try meanLL(teacher, test)
        let student = HelmholtzMachine(teacher.model)
        student.initialize(seed: 2)
        let start = try meanLL(student, test)
        let batch = 100
        let ddc = DDCWakeSleep(machine: student, dreams: 1000, features: 30, recognitionFeatures: 80, ridge: 1e-3)
        ddc.prepare(TrainingWorld(globalBatch: batch, globalDreams: 1000))
        let adam = Adam(count: student.store.count, learningRate: 0.02)
        let x = Matrix(rows: batch, cols: 8)
        for step in 0..<1200 {
            let first = (step * batch) % train.rows
            for r in 0..<batch { x.row(r).update(from: train.row(first + r), count: 8) }
            student.store.zeroGradients()
            let share = StepShare(x: x, firstExample: 0, globalBatch: batch, dreams: 1000, firstDream: 0, globalDreams: 1000,
                                  step: step, seed: 9)
            _ = ddc.wake(share)
            _ = ddc.sleep(share)
            adam.step(parameters: student.store.values, gradients: student.store.gradients)
        }
        let end = try meanLL(student, test)
        #expect(start < target - 0.5 && end > target - 0.1, "exact test log-likelihood: start \(start), after ddc \(end), teacher \(target)")
    }
}
