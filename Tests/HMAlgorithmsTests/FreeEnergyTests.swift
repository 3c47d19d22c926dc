import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// `eval --free-energy`: the Monte Carlo free energy against its exact value by enumeration,
/// F(x) = Σ_h q(h | x)(log q(h | x) − log p(x, h)) = KL(q ‖ p(h | x)) − log p(x).
@Suite struct FreeEnergyTests {
    @Test func freeEnergyConvergesToTheEnumeratedValue() throws {
        let m = randomMachine([6, 3, 2], seed: 2)
        let ref = Reference(m)
        let xs = [[1.0, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]]
        let e = ImportanceLogLikelihood(samples: 40000, seed: 5, chunk: 1000).estimates(m, data: Matrix(xs))
        for (i, x) in xs.enumerated() {
            var exact = 0.0
            for h in ref.latentConfigurations {
                let lq = ref.logQ(x, h)
                exact += exp(lq) * (lq - ref.logJoint(x, h))
            }
            #expect(abs(e.freeEnergies[i] - exact) < 0.05, "point \(i): \(e.freeEnergies[i]) vs exact \(exact)")
            // F ≥ −log p(x), with equality only when q is the posterior.
            #expect(exact > -ref.exactLogLikelihood(x) + 1e-3)
        }
    }
}
