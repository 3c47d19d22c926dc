import Testing
@testable import HMReport

@Suite struct TicksTests {
    @Test func niceStepsCoverTheRange() {
        let t = Ticks(low: -123.4, high: -98.2)
        #expect(t.step == 5)
        #expect(t.values.first! <= -123.4 && t.values.last! >= -98.2)
        #expect(t.values == stride(from: -125.0, through: -95.0, by: 5).map { $0 })
    }

    @Test func stepsAreOneTwoOrFiveTimesAPowerOfTen() {
        for (lo, hi) in [(0.0, 1.0), (0.0, 100_000.0), (3.2, 3.3), (-0.004, 0.013), (17.0, 9_481.0)] {
            let t = Ticks(low: lo, high: hi)
            let mantissa = t.step / pow10(t.step)
            #expect([1, 2, 5].contains(mantissa.rounded()), "step \(t.step) of \(lo)…\(hi)")
            #expect((3...11).contains(t.values.count), "\(t.values.count) ticks for \(lo)…\(hi)")
        }
    }

    @Test func aRangeOfZeroWidthIsWidened() {
        let t = Ticks(low: 7, high: 7)
        #expect(t.low < 7 && t.high > 7)
        #expect(Ticks(low: .nan, high: 1).values == Ticks(low: 0, high: 1).values)
    }

    @Test func labelsAreShortAndUseATrueMinus() {
        let thousands = Ticks(low: 0, high: 100_000)
        #expect(thousands.label(20_000) == "20k")
        #expect(thousands.label(0) == "0")
        let fine = Ticks(low: -0.5, high: 0.5)
        #expect(fine.label(-0.2) == "\u{2212}0.2")
        #expect(Ticks(low: -125, high: -95).label(-110) == "\u{2212}110")
    }

    func pow10(_ x: Double) -> Double { Foundation.pow(10, (Foundation.log10(x)).rounded(.down)) }
}

import Foundation
