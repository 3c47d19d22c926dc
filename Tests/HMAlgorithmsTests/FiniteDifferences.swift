import Testing
@testable import HMCore

/// Checks the store's accumulated gradients against central differences of `objective` on
/// every parameter, to a tolerance relative to max(1, |numeric|).
func expectGradientsMatchFiniteDifferences(_ store: ParameterStore, tolerance: Double, step h: Float = 1e-2,
                                           _ objective: () -> Double) {
    for e in store.entries {
        for i in 0..<e.count {
            let p = store.values.data + e.offset + i, saved = p.pointee
            p.pointee = saved + h
            let up = objective()
            p.pointee = saved - h
            let down = objective()
            p.pointee = saved
            let numeric = (up - down) / (2 * Double(h)), analytic = Double(store.gradients.data[e.offset + i])
            #expect(abs(numeric - analytic) < tolerance * max(1, abs(numeric)), "\(e.name)[\(i)]: \(analytic) vs \(numeric)")
        }
    }
}
