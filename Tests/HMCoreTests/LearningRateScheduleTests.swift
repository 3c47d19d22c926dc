import Foundation
import Testing
import HMCore

@Suite struct LearningRateScheduleTests {
    @Test func cosineFallsFromBaseToFinalThroughTheMidpoint() {
        let s = LearningRateSchedule(shape: .cosine, base: 3e-3, final: 1e-4, totalSteps: 100)
        #expect(s.rate(atStep: 0) == 3e-3)
        #expect(abs(s.rate(atStep: 50) - (3e-3 + 1e-4) / 2) < 1e-15)
        #expect(abs(s.rate(atStep: 100) - 1e-4) < 1e-15)
        #expect(abs(s.rate(atStep: 1000) - 1e-4) < 1e-15)       // held after the end
        #expect((0..<100).allSatisfy { s.rate(atStep: $0) > s.rate(atStep: $0 + 1) })
    }

    @Test func linearAndWarmUp() {
        let s = LearningRateSchedule(shape: .linear, base: 1, final: 0, warmupSteps: 10, totalSteps: 110)
        #expect(s.rate(atStep: 0) == 0.1)                       // step 0 already learns
        #expect(s.rate(atStep: 9) == 1)
        #expect(s.rate(atStep: 10) == 1)
        #expect(abs(s.rate(atStep: 60) - 0.5) < 1e-15)
        #expect(s.rate(atStep: 110) == 0)
    }

    @Test func constantIgnoresFinalAndTotals() {
        let s = LearningRateSchedule(shape: .constant, base: 0.01, final: 0.5, totalSteps: 5)
        #expect([0, 4, 5, 500].allSatisfy { s.rate(atStep: $0) == 0.01 })
    }
}
