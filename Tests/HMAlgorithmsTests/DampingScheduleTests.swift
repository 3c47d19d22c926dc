import Foundation
import Testing
import HMAlgorithms

@Suite struct DampingScheduleTests {
    @Test func geometricFromStartToFinalThenConstant() {
        let s = DampingSchedule(start: 0.1, final: 0.001, steps: 100)
        #expect(s.value(at: 0) == 0.1)
        #expect(abs(s.value(at: 50) - 0.01) < 1e-15)          // the geometric mean halfway
        #expect(abs(s.value(at: 100) - 0.001) < 1e-15)
        #expect(abs(s.value(at: 5000) - 0.001) < 1e-15)
        #expect(s.value(at: 25) > s.value(at: 26))
    }

    @Test func constantWhenNotScheduled() {
        for s in [DampingSchedule.constant(0.02), DampingSchedule(start: 0.02, final: 0.02, steps: 10)] {
            #expect([0, 1, 10, 1000].allSatisfy { s.value(at: $0) == 0.02 })
        }
    }
}
