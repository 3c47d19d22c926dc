import Testing
@testable import HMTraining

/// The progress line's time left: paced by the steps this process took, not by the step count
/// a resumed run started from.
@Suite struct ProgressTests {
    @Test func timeLeftOfAFreshRun() {
        #expect(Progress.remaining(step: 100, firstStep: 0, total: 1000, elapsed: 10) == 90)
    }

    @Test func timeLeftOfAResumedRunCountsOnlyItsOwnSteps() {
        // Resumed at 70,000 of 250,000, 8,000 steps in 40 s: 172,000 left at 200 a second.
        #expect(Progress.remaining(step: 78000, firstStep: 70000, total: 250000, elapsed: 40) == 860)
    }

    @Test func nothingLeftAtTheEndOrBeforeAStep() {
        #expect(Progress.remaining(step: 1000, firstStep: 0, total: 1000, elapsed: 10) == 0)
        #expect(Progress.remaining(step: 500, firstStep: 500, total: 1000, elapsed: 3) == 0)
    }
}
