@testable import HMTraining
import Testing

/// The divergence rule (docs/training.md): not finite, or below best − 100·max(|best|, 1).
@Suite struct DivergenceWatchTests {
    @Test func aBoundFarBelowTheBestIsDivergence() {
        var w = DivergenceWatch()
        for s in 1...10 { w.add(bound: -40 + Double(s), step: s) }
        #expect(w.checkBound() == nil)
        w.add(bound: -3000, step: 11)   // best −30: the floor is −3,030
        #expect(w.checkBound() == nil)
        w.add(bound: -3100, step: 12)
        let v = w.checkBound()
        #expect(v?.contains("the mean wake bound of step 12 is -3100.000 nats, below -3030.000") == true, "\(v ?? "nil")")
    }

    @Test func notFiniteIsDivergence() {
        var w = DivergenceWatch()
        w.add(bound: -20, step: 1)
        w.add(bound: .nan, step: 2)
        #expect(w.checkBound()?.contains("steps 1–2 is nan") == true)
        #expect(w.check(heldOut: -.infinity, split: "valid")?.contains("held-out (valid) log-likelihood is -inf") == true)
    }

    /// Densities of real-valued data can be positive: the size of the best sets the margin.
    @Test func positiveEstimatesAndTheOneNatMinimum() {
        var w = DivergenceWatch()
        #expect(w.check(heldOut: 50, split: "valid") == nil)
        #expect(w.check(heldOut: -4900, split: "valid") == nil)
        #expect(w.check(heldOut: -4951, split: "valid") != nil)
        var small = DivergenceWatch()
        small.add(bound: -0.01, step: 1)
        #expect(small.checkBound() == nil)
        small.add(bound: -99, step: 2)   // floor −100.01: a size of at least 1 nat
        #expect(small.checkBound() == nil)
    }

    /// A held-out estimate is judged against the best wake bound too.
    @Test func theFirstHeldOutEstimateHasTheBoundAsReference() {
        var w = DivergenceWatch()
        w.add(bound: -20, step: 1)
        _ = w.checkBound()
        #expect(w.check(heldOut: -1e9, split: "test")?.contains("-1e+09 nats") == true)
    }
}
