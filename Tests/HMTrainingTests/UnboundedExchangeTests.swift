import Foundation
@testable import HMTraining
import HMAlgorithms
import HMComm
import HMCore
import Testing

/// An algorithm of the tests' own, written against the contract alone, whose exchanges have no
/// bound (as Gaussian layers' gradients): gradients of 1e6 · noise whose size varies by step
/// (8^(step mod 5)) and by example (1 to 256 times), plus a doubles buffer larger still. Every
/// value is drawn from the step's counter-based stream by global example index, so a block's
/// values do not depend on the world size; they do not depend on the parameters either.
final class Unbounded: TrainingAlgorithm {
    let name = "unbounded"
    let machine: HelmholtzMachine
    let moments = UnsafeMutablePointer<Double>.allocate(capacity: 4)
    private let noise: UnsafeMutablePointer<Float>
    /// The summed exchanges of every step, as `afterExchange` saw them.
    var summed: [(gradients: [Float], moments: [Double])] = []

    init(machine: HelmholtzMachine) {
        self.machine = machine
        noise = .allocate(capacity: machine.store.count)
    }

    deinit {
        moments.deallocate()
        noise.deallocate()
    }

    func wake(_ s: StepShare) -> Double {
        let stream = RandomStream(key: s.seed, purpose: .wake, step: s.step)
        let g = machine.store.gradients.data, n = machine.store.count
        moments.update(repeating: 0, count: 4)
        for r in 0..<s.x.rows {
            var u: Float = 0
            stream.uniforms(tag: stream.tag(.generative, layer: 1), index: s.firstExample + r, into: &u, count: 1)
            stream.normals(tag: stream.tag(.generative, layer: 0), index: s.firstExample + r, into: noise, count: n)
            let size = 1e6 * pow(8, Float(s.step % 5)) * exp2(8 * u) / Float(s.globalBatch)
            for j in 0..<n { g[j] += size * noise[j] }
            for j in 0..<4 { moments[j] += 1e9 * Double(size) * Double(noise[j]) }
        }
        return 0
    }

    func sleep(_ s: StepShare) -> Double { 0 }

    func exchanges(step: Int) -> [Exchange] {
        Exchange.gradients(of: machine).map {
            Exchange(name: $0.name, payload: $0.payload, timing: $0.timing, bound: .infinity, label: $0.label)
        } + [Exchange(name: "moments", payload: .doubles(moments, count: 4), timing: .afterPhases, bound: .infinity)]
    }

    func afterExchange(step: Int) throws {
        summed.append((machine.store.gradients.array, Array(UnsafeBufferPointer(start: moments, count: 4))))
    }
}

/// `--reproducible` with exchanges that have no finite bound: a scale agreed across ranks each step.
@Suite(.serialized) struct UnboundedExchangeTests {
    /// Trains `Unbounded` for 6 steps on `ranks` in-process ranks; every rank's summed exchanges
    /// and final parameters.
    func train(ranks: Int, reproducible: Bool = true) throws -> [(summed: [(gradients: [Float], moments: [Double])], parameters: [Float])] {
        let c = try small("ws", steps: 6, extra: reproducible ? ["reproducible": "true"] : [:])
        return try InProcessWorld.run(size: ranks) { comm in
            let machine = HelmholtzMachine(c.model(dataWidth: 64, imageShape: [8, 8]))
            machine.initialize(seed: c.seed)
            var algorithm: Unbounded?
            let trainer = try Trainer(config: c, machine: machine, train: digits.train, comm: comm) { m, _, _ in
                algorithm = Unbounded(machine: m)
                return algorithm!
            }
            while trainer.step < trainer.totalSteps { try trainer.runStep() }
            return (algorithm!.summed, machine.store.values.array)
        }
    }

    /// The bits of every step's sums and of the parameters, for comparing exactly.
    func bits(_ run: (summed: [(gradients: [Float], moments: [Double])], parameters: [Float])) -> [[UInt64]] {
        run.summed.flatMap { [$0.gradients.map { UInt64($0.bitPattern) }, $0.moments.map(\.bitPattern)] }
            + [run.parameters.map { UInt64($0.bitPattern) }]
    }

    @Test func sumsAreTheSameBitsOnOneTwoAndThreeRanks() throws {
        let one = try train(ranks: 1)
        for ranks in 2...3 {
            let all = try train(ranks: ranks)
            for (r, run) in all.enumerated() {
                let same = bits(run) == bits(one[0])  // a Bool: the arrays are too long to print
                #expect(same, "rank \(r) of \(ranks) differs from 1 rank")
            }
        }
        // The sums are large, their size varies from step to step, and they are right: close
        // to the plain floating-point sums.
        let largest = one[0].summed.map { $0.gradients.map(abs).max()! }
        #expect(largest.min()! > 1e5 && largest.max()! > 1000 * largest.min()!)
        let plain = try train(ranks: 1, reproducible: false)[0]
        for (step, (exact, float)) in zip(one[0].summed, plain.summed).enumerated() {
            let d = zip(exact.gradients, float.gradients).map { abs($0 - $1) }.max()!
            #expect(d <= 1e-5 * largest[step], "step \(step): the exact sums differ from the plain ones by \(d)")
            for (a, b) in zip(exact.moments, float.moments) { #expect(abs(a - b) <= 1e-9 * abs(b)) }
        }
    }

    /// Sums two steps of `count` values per micro-block with `ExactReducer` on `ranks`
    /// in-process ranks: a float exchange (timed after the phases) and a double one (as
    /// statistics, finished apart), values given by (step, block, element). Rank 0's sums.
    func reduce(ranks: Int, count: Int = 7, bounds: (floats: Double, doubles: Double),
                floats: @escaping (Int, Int, Int) -> Float, doubles: @escaping (Int, Int, Int) -> Double) throws -> [([Float], [Double])] {
        try InProcessWorld.run(size: ranks) { comm in
            let reducer = ExactReducer(comm: comm, microBlocks: 10)
            let f = UnsafeMutablePointer<Float>.allocate(capacity: count), d = UnsafeMutablePointer<Double>.allocate(capacity: count)
            defer { f.deallocate(); d.deallocate() }
            let label = { (j: Int) in "gradient of gaussian.\(j).mean" }
            let exchanges = [Exchange(name: "f", payload: .floats(f, count: count), timing: .afterPhases, bound: bounds.floats, label: label),
                             Exchange(name: "d", payload: .doubles(d, count: count), timing: .statistics, bound: bounds.doubles, label: label)]
            return try (0..<2).map { step in
                reducer.begin()
                for share in reducer.shares(batch: 10, dreams: 10) {
                    let block = share.examples.lowerBound
                    for j in 0..<count { (f[j], d[j]) = (floats(step, block, j), doubles(step, block, j)) }
                    try reducer.absorb(exchanges)
                }
                try reducer.finish(exchanges, timings: [.afterPhases])
                try reducer.finish(exchanges, timings: [.statistics])
                return (Array(UnsafeBufferPointer(start: f, count: count)), Array(UnsafeBufferPointer(start: d, count: count)))
            }
        }[0]
    }

    /// What the reducer must give: the blocks added in order into one buffer whose bound is the
    /// exchange's, or, unbounded, 10 × the largest |value|.
    func expected<T: BinaryFloatingPoint>(_ blocks: [[T]], bound: Double, add: (FixedPointBuffer, [T], Exchange) throws -> Void,
                                          store: (FixedPointBuffer, inout [T]) -> Void) throws -> [T] {
        let largest = blocks.joined().map { abs(Double($0)) }.max()!
        let s = FixedPointBuffer(count: blocks[0].count, bound: bound.isFinite ? bound : 10 * largest)
        let e = Exchange(name: "expected", payload: .rows([], receive: { _ in }), timing: .afterPhases, bound: bound)
        for b in blocks { try add(s, b, e) }
        var out = blocks[0]
        store(s, &out)
        return out
    }

    /// Finite bounds keep the fixed point they had (the bits of a buffer filled directly), also
    /// next to an unbounded exchange; an unbounded one takes 10 × the largest |value| as bound.
    @Test(arguments: [(1.0, Double.infinity), (Double.infinity, 100.0)])
    func eachExchangeHasTheFixedPointOfItsBound(floatBound: Double, doubleBound: Double) throws {
        // Bounded values stay within a tenth of the bound per block; unbounded ones range over 10^±9.
        func value(_ step: Int, _ block: Int, _ j: Int, bound: Double) -> Double {
            let wave = sin(Double(1000 * step + 37 * block + j))
            return bound.isFinite ? bound / 10 * wave : wave * pow(10, Double((block * 3 + j + 5 * step) % 19 - 9))
        }
        let floats = { (s: Int, b: Int, j: Int) in Float(value(s, b, j, bound: floatBound)) }
        let doubles = { (s: Int, b: Int, j: Int) in value(s, b, j, bound: doubleBound) }
        for ranks in 1...3 {
            for (step, (f, d)) in try reduce(ranks: ranks, bounds: (floatBound, doubleBound), floats: floats, doubles: doubles).enumerated() {
                let wantF = try expected((0..<10).map { b in (0..<7).map { floats(step, b, $0) } }, bound: floatBound,
                                         add: { try $0.add($1, $2) }, store: { $0.store(into: &$1) })
                let wantD = try expected((0..<10).map { b in (0..<7).map { doubles(step, b, $0) } }, bound: doubleBound,
                                         add: { try $0.add($1, $2) }, store: { $0.store(into: &$1) })
                #expect(f.map(\.bitPattern) == wantF.map(\.bitPattern), "floats, \(ranks) ranks, step \(step)")
                #expect(d.map(\.bitPattern) == wantD.map(\.bitPattern), "doubles, \(ranks) ranks, step \(step)")
            }
        }
    }

    /// A value that cannot be scaled stops the sum, naming the element — on the rank that holds
    /// it (block 7: rank 1 of 2), in either payload.
    @Test(arguments: [(Double.infinity, true), (Double.nan, true), (-Double.infinity, false), (Double.nan, false)])
    func aValueThatIsNotFiniteIsAnErrorNamingTheTensor(bad: Double, inFloats: Bool) throws {
        func value(_ step: Int, _ block: Int, _ j: Int, _ here: Bool) -> Double {
            here && step == 1 && block == 7 && j == 5 ? bad : 1e6 * Double(j + block)
        }
        #expect {
            _ = try reduce(ranks: 2, bounds: (.infinity, .infinity),
                           floats: { Float(value($0, $1, $2, inFloats)) }, doubles: { value($0, $1, $2, !inFloats) })
        } throws: { error in
            "\(error)".contains("gradient of gaussian.5.mean") && "\(error)".contains("--reproducible")
        }
    }
}
