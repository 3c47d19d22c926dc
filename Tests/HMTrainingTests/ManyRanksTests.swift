import HMTraining
import Testing

/// World sizes beyond the machine's cores, as threads of one process: 8 ranks give the same
/// bits as 1 with `--reproducible`; 16 ranks exceed its 10 micro-blocks, so they are held to
/// agreement within rounding without it.
@Suite(.serialized) struct ManyRanksTests {
    @Test(arguments: ["rws", "nrws"])
    func eightRanksAreTheSameBitsAsOne(algorithm: String) throws {
        let c = try small(algorithm, steps: 4, extra: ["reproducible": "true"])
        let one = try trainDirectly(c, ranks: 1)[0]
        let eight = try trainDirectly(c, ranks: 8)
        for (r, p) in eight.enumerated() { #expect(p == one, "\(algorithm): rank \(r) of 8 differs from 1 rank") }
    }

    @Test(arguments: ["rws", "nrws"])
    func sixteenRanksAgreeWithOne(algorithm: String) throws {
        let c = try small(algorithm, steps: 4, extra: ["optimizer": "sgd", "lr": "0.05"])
        let one = try trainDirectly(c, ranks: 1)[0]
        let sixteen = try trainDirectly(c, ranks: 16)
        for (r, p) in sixteen.enumerated() { #expect(p == sixteen[0], "\(algorithm): rank \(r) of 16 differs from rank 0") }
        let d = zip(sixteen[0], one).map { abs($0 - $1) }.max()!
        #expect(d < 1e-4, "\(algorithm): 16 ranks differ from 1 by \(d)")
    }

    /// The contract: more ranks than micro-blocks cannot be made world-size independent.
    @Test func sixteenRanksRefuseReproducible() throws {
        let c = try small("rws", steps: 1, extra: ["reproducible": "true"])
        #expect(throws: (any Error).self) { try trainDirectly(c, ranks: 16) }
    }
}
