import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// The natural-gradient foundation held against float64 oracles: the exact Fisher of each unit
/// by enumeration, the two solvers against each other, and the whole preconditioned step
/// against a dense solve of the full block-diagonal F + αI.
@Suite struct FisherTests {
    // MARK: oracle helpers

    /// Deterministic test numbers (SplitMix64).
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        mutating func bit() -> Double { next() & 1 == 0 ? 0 : 1 }
    }

    static func sigmoidPrime(_ a: Double) -> Double {
        let s = Reference.sigmoid(a)
        return s * (1 - s)
    }

    /// Σ_r ρ_r · c_r · h̃_r h̃_rᵀ / Σ_r ρ_r, dense, in float64.
    static func fisher(_ rows: [(parent: [Double], c: Double, rho: Double)]) -> [[Double]] {
        let d = rows[0].parent.count + 1
        var f = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        var total = 0.0
        for r in rows {
            let h = r.parent + [1]
            for j in 0..<d { for k in 0..<d { f[j][k] += r.rho * r.c * h[j] * h[k] } }
            total += r.rho
        }
        return f.map { $0.map { $0 / total } }
    }

    static func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
    }

    /// p(h_k) for every configuration of layer k (k ≥ 1), by enumerating the layers above.
    static func marginal(_ ref: Reference, layer k: Int) -> [Double] {
        let L = ref.L
        let prior = ref.tensors["generative.prior.logits"]!
        var dist = Reference.all(ref.widths[L]).map { h in
            exp((0..<h.count).map { Reference.logBernoulli(h[$0], prior[$0]) }.reduce(0, +))
        }
        var l = L
        while l > k {
            let parents = Reference.all(ref.widths[l]), children = Reference.all(ref.widths[l - 1])
            dist = children.map { child in
                zip(parents, dist).map { parent, p in
                    p * exp((0..<child.count).map {
                        Reference.logBernoulli(child[$0], ref.pre("generative.\(l - 1)", $0, parent))
                    }.reduce(0, +))
                }.reduce(0, +)
            }
            l -= 1
        }
        return dist
    }

    /// Feeds FisherBlocks the given parent rows with their probabilities as row weights; the
    /// Fisher weights come from the layer itself (`fisherWeights`).
    static func blocks(_ layer: ConditionalLayer, parents: [[Double]], probabilities: [Double]) -> (FisherBlocks, Matrix) {
        let h = Matrix(parents)
        let pre = Matrix(rows: h.rows, cols: layer.outWidth)
        layer.preactivation(h, into: pre)
        let c = Matrix(rows: h.rows, cols: layer.outWidth)
        layer.fisherWeights(pre: pre, every: 1, rows: h.rows, into: c)
        let rho = probabilities.map(Float.init)
        let b = FisherBlocks(units: layer.outWidth, fanIn: layer.inWidth)
        rho.withUnsafeBufferPointer { b.accumulate(parents: h, weights: c, rowWeights: $0.baseAddress) }
        return (b, c)
    }

    /// Checks every unit's block: against the float64 oracle with σ' from the parameters
    /// (end to end, float32 pre-activations: 1e-6), and against the oracle fed the very Fisher
    /// weights and row weights the blocks got (the accumulation itself, float32 products
    /// summed by sgemm: 5e-7 for these ≤ 32 samples of weight ≤ 1/4; measured ≤ 2.3e-8).
    func expectBlocks(_ layer: ConditionalLayer, _ ref: Reference, name: String, parents: [[Double]],
                      probabilities: [Double]) {
        let (b, c) = Self.blocks(layer, parents: parents, probabilities: probabilities)
        for i in 0..<layer.outWidth {
            let exact = Self.fisher(parents.indices.map {
                (parents[$0], Self.sigmoidPrime(ref.pre(name, i, parents[$0])), probabilities[$0])
            })
            let same = Self.fisher(parents.indices.map {
                (parents[$0], Double(c[$0, i]), Double(Float(probabilities[$0])))
            })
            let got = b.fisher(unit: i)
            #expect(Self.maxDifference(got, exact) < 1e-6, "\(name) unit \(i): \(Self.maxDifference(got, exact)) from the exact Fisher")
            #expect(Self.maxDifference(got, same) < 5e-7, "\(name) unit \(i): accumulation off by \(Self.maxDifference(got, same))")
        }
    }

    // MARK: (1) blocks = exact Fisher by enumeration

    @Test func generativeBlocksEqualExactFisher() {
        let m = randomMachine([5, 3, 2], seed: 21)
        let ref = Reference(m)
        for l in 0..<m.depth {
            // F_i of p(h_l | h_{l+1}) = Σ over every parent configuration of p(h_{l+1}) σ'(a_i) h̃h̃ᵀ.
            let parents = Reference.all(m.widths[l + 1])
            let p = Self.marginal(ref, layer: l + 1)
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            expectBlocks(m.generative[l], ref, name: "generative.\(l)", parents: parents, probabilities: p)
        }
        // The prior's scalar blocks are σ'(logit).
        let pre = Matrix(rows: 1, cols: 2), c = Matrix(rows: 1, cols: 2)
        m.prior.preactivation(nil, into: pre)
        m.prior.fisherWeights(pre: pre, every: 1, rows: 1, into: c)
        for i in 0..<2 {
            let want = Self.sigmoidPrime(ref.tensors["generative.prior.logits"]![i])
            #expect(abs(Double(c[0, i]) - want) < 1e-7)
        }
    }

    @Test func recognitionBlocksEqualExactFisher() {
        let m = randomMachine([5, 3, 2], seed: 22)
        let ref = Reference(m)
        let data: [[Double]] = [[1, 0, 1, 1, 0], [0, 0, 0, 1, 1], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0]]
        // q(h1 | x): parents are the data points, equally weighted.
        expectBlocks(m.recognition[0], ref, name: "recognition.0", parents: data,
                     probabilities: Array(repeating: 1 / Double(data.count), count: data.count))
        // q(h2 | h1): parents h1 ~ q(h1 | x), x uniform over the data: every (x, h1) enumerated.
        var parents: [[Double]] = [], probabilities: [Double] = []
        for x in data {
            for h1 in Reference.all(3) {
                let q = exp((0..<3).map { Reference.logBernoulli(h1[$0], ref.pre("recognition.0", $0, x)) }.reduce(0, +))
                parents.append(h1)
                probabilities.append(q / Double(data.count))
            }
        }
        expectBlocks(m.recognition[1], ref, name: "recognition.1", parents: parents, probabilities: probabilities)
    }

    @Test func fisherWeightsHonourEvery() {
        let layer = randomMachine([4, 3], seed: 5).recognition[0]
        let pre = Matrix(rows: 2, cols: 3, values: [-30, 0, 2, 1, -1, 40])
        let c = Matrix(rows: 6, cols: 3)
        layer.fisherWeights(pre: pre, every: 3, rows: 6, into: c)
        for r in 0..<6 {
            for j in 0..<3 {
                #expect(abs(Double(c[r, j]) - Self.sigmoidPrime(Double(pre[r / 3, j]))) < 1e-7)
            }
        }
    }

    // MARK: (2) direct = Woodbury

    /// A random layer problem: N binary parent rows, Fisher weights in (0, 1/4], row weights,
    /// a gradient.
    struct Problem {
        let parents: Matrix, weights: Matrix, rho: [Float], weight: Matrix, bias: Matrix
        init(samples n: Int, units: Int, fanIn: Int, seed: UInt64) {
            var r = Numbers(state: seed)
            parents = Matrix(rows: n, cols: fanIn, values: (0..<(n * fanIn)).map { _ in Float(r.bit()) })
            weights = Matrix(rows: n, cols: units, values: (0..<(n * units)).map { _ in Float(0.25 * r.uniform() + 1e-3) })
            rho = (0..<n).map { _ in Float(0.5 + r.uniform()) }
            weight = Matrix(rows: units, cols: fanIn, values: (0..<(units * fanIn)).map { _ in Float(r.normal()) })
            bias = Matrix(rows: 1, cols: units, values: (0..<units).map { _ in Float(r.normal()) })
        }
    }

    @Test(arguments: [(7, 12, 0.01), (3, 30, 1.0), (1, 5, 0.1), (20, 9, 0.05)])
    func directAndWoodburyAgree(samples n: Int, fanIn: Int, damping: Double) throws {
        let units = 6
        let p = Problem(samples: n, units: units, fanIn: fanIn, seed: UInt64(n * 1000 + fanIn))
        let blocks = FisherBlocks(units: units, fanIn: fanIn)
        p.rho.withUnsafeBufferPointer { blocks.accumulate(parents: p.parents, weights: p.weights, rowWeights: $0.baseAddress) }
        let directW = Matrix(rows: units, cols: fanIn), directB = Matrix(rows: 1, cols: units)
        directW.copy(from: p.weight); directB.copy(from: p.bias)
        try blocks.solve(weight: directW, bias: directB, damping: damping)

        let woodbury = try p.rho.withUnsafeBufferPointer {
            try WoodburySolver(parents: p.parents, weights: p.weights, rowWeights: $0.baseAddress, damping: damping)
        }
        let w = Matrix(rows: units, cols: fanIn), b = Matrix(rows: 1, cols: units)
        w.copy(from: p.weight); b.copy(from: p.bias)
        woodbury.solve(weight: w, bias: b)

        let direct = directW.array + directB.array, other = w.array + b.array
        let scale = direct.map { abs(Double($0)) }.max()!
        let worst = zip(direct, other).map { abs(Double($0) - Double($1)) }.max()!
        #expect(worst <= 1e-5 * max(scale, 1), "N = \(n), d = \(fanIn + 1), α = \(damping): |Δ| \(worst), scale \(scale)")
        // And the answer solves the damped system: (F_i + αI) x_i = g_i.
        for i in 0..<units {
            let f = blocks.fisher(unit: i)
            let x = (0..<fanIn).map { Double(directW[i, $0]) } + [Double(directB.data[i])]
            let g = (0..<fanIn).map { Double(p.weight[i, $0]) } + [Double(p.bias.data[i])]
            for j in 0...fanIn {
                let lhs = (0...fanIn).map { f[j][$0] * x[$0] }.reduce(0, +) + damping * x[j]
                #expect(abs(lhs - g[j]) < 1e-4 * max(1, abs(g[j])), "unit \(i) row \(j): \(lhs) vs \(g[j])")
            }
        }
    }

    @Test func singularBlockWithoutDampingIsReported() {
        let p = Problem(samples: 2, units: 2, fanIn: 4, seed: 3)
        let blocks = FisherBlocks(units: 2, fanIn: 4, name: "generative.0")
        blocks.accumulate(parents: p.parents, weights: p.weights)
        #expect(throws: NaturalGradientError.self) { try blocks.solve(weight: p.weight, bias: p.bias, damping: 0) }
    }

    /// A wide layer (d = 151: a triangle of 11,476 entries, accumulated in three bands of at
    /// most 4,096) with row weights: every packed sum equals the float64 Σ_r ρ_r c_ri h̃_rj h̃_rk
    /// up to float32 rounding, the bias row and column and the band edges included.
    @Test func wideBlocksAreAccumulatedInBands() {
        let n = 40, units = 3, fanIn = 150, d = fanIn + 1
        let p = Problem(samples: n, units: units, fanIn: fanIn, seed: 12)
        let blocks = FisherBlocks(units: units, fanIn: fanIn)
        p.rho.withUnsafeBufferPointer { blocks.accumulate(parents: p.parents, weights: p.weights, rowWeights: $0.baseAddress) }
        #expect(blocks.triangle == 11_476 && blocks.triangle > 2 * FisherBlocks.bandColumns)
        #expect(abs(blocks.count - p.rho.reduce(0.0) { $0 + Double($1) }) < 1e-9)
        func h(_ r: Int, _ j: Int) -> Double { j == fanIn ? 1 : Double(p.parents[r, j]) }
        var worst = 0.0
        for i in 0..<units {
            var q = 0
            for j in 0..<d {
                for k in j..<d {
                    var want = 0.0
                    for r in 0..<n { want += Double(p.rho[r]) * Double(p.weights[r, i]) * h(r, j) * h(r, k) }
                    worst = max(worst, abs(blocks.block(i)[q] - want))
                    q += 1
                }
            }
        }
        #expect(worst < 1e-5, "packed sums off by \(worst)")
    }

    @Test func packedBufferSumsLikeAnAllreduce() {
        // Two ranks' halves, summed buffer-wise, equal the blocks of the whole sample.
        let p = Problem(samples: 10, units: 3, fanIn: 4, seed: 9)
        let whole = FisherBlocks(units: 3, fanIn: 4)
        whole.accumulate(parents: p.parents, weights: p.weights)
        let a = FisherBlocks(units: 3, fanIn: 4), b = FisherBlocks(units: 3, fanIn: 4)
        let top = Matrix(rows: 6, cols: 4), bottom = Matrix(rows: 4, cols: 4)
        let wt = Matrix(rows: 6, cols: 3), wb = Matrix(rows: 4, cols: 3)
        top.data.update(from: p.parents.data, count: 24); bottom.data.update(from: p.parents.data + 24, count: 16)
        wt.data.update(from: p.weights.data, count: 18); wb.data.update(from: p.weights.data + 18, count: 12)
        a.accumulate(parents: top, weights: wt)
        b.accumulate(parents: bottom, weights: wb)
        #expect(a.bufferCount == 3 * 15 + 1)
        for k in 0..<a.bufferCount { a.buffer[k] += b.buffer[k] }
        #expect(a.count == 10)
        // Equal up to the float32 rounding of the two partial sums (measured ≤ 6e-9).
        for i in 0..<3 { #expect(Self.maxDifference(a.fisher(unit: i), whole.fisher(unit: i)) < 1e-7) }
    }

    // MARK: (3) the preconditioned step = a dense solve of the full block-diagonal F + αI

    @Test func preconditionedStepEqualsDenseSolve() throws {
        let widths = [6, 4, 3]
        let m = randomMachine(widths, seed: 31, scale: 1.0)
        let ref = Reference(m)
        let damping = 0.05
        // Few dreams and wake samples, so that both solvers are chosen.
        let sleep = SleepPhase(machine: m, dreams: 4)
        sleep.dream(count: 4, stream: RandomStream(key: 7, purpose: .sleep, step: 0), firstDream: 0)
        let x = Matrix([[1, 0, 1, 1, 0, 0], [0, 1, 1, 0, 1, 1]])
        let wake = ImportanceSampler(machine: m, batch: 2, samples: 3)
        wake.run(x, stream: RandomStream(key: 7, purpose: .wake, step: 0), firstExample: 0, withDeltas: false)

        let pre = NaturalPreconditioner(machine: m, damping: damping)
        try pre.update(generative: NaturalPreconditioner.generativeSamples(sleep),
                       recognition: NaturalPreconditioner.recognitionSamples(wake, data: x))
        #expect(pre.plans.map(\.kind) == [.direct, .woodbury, .direct, .woodbury, .direct],
                "\(pre.description)")
        #expect(pre.description.contains("generative.0 woodbury (N = 4 < d = 5"), "\(pre.description)")

        // The gradient: random numbers in every parameter.
        var r = Numbers(state: 77)
        for e in m.store.entries {
            let g = m.store.gradient(e.name)
            for k in 0..<g.count { g.data[k] = Float(r.normal()) }
        }

        // The full block-diagonal F + αI over all parameters, built here from the sample sets
        // alone, σ' in float64 from the parameters. Unit i of a layer: [weight row i; bias i].
        func rows(_ mat: Matrix) -> [[Double]] { (0..<mat.rows).map { r in (0..<mat.cols).map { Double(mat[r, $0]) } } }
        var layers: [(name: String, fanIn: Int, units: Int, blocks: [[[Double]]])] = []
        let prior = ref.tensors["generative.prior.logits"]!
        layers.append(("generative.prior", 0, 3, prior.map { [[Self.sigmoidPrime($0)]] }))
        for l in 0..<2 {
            let parents = rows(sleep.dream[l + 1])
            let name = "generative.\(l)"
            layers.append((name, widths[l + 1], widths[l], (0..<widths[l]).map { i in
                Self.fisher(parents.map { ($0, Self.sigmoidPrime(ref.pre(name, i, $0)), 1) })
            }))
        }
        for l in 0..<2 {
            let parents = l == 0 ? rows(x) : rows(wake.h[l])
            let name = "recognition.\(l)"
            layers.append((name, widths[l], widths[l + 1], (0..<widths[l + 1]).map { i in
                Self.fisher(parents.map { ($0, Self.sigmoidPrime(ref.pre(name, i, $0)), 1) })
            }))
        }
        let n = layers.map { $0.units * ($0.fanIn + 1) }.reduce(0, +)
        var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var g = [Double](repeating: 0, count: n)
        var offset = 0
        for layer in layers {
            let d = layer.fanIn + 1
            let weight = layer.fanIn > 0 ? m.store.gradient("\(layer.name).weight") : nil
            let bias = m.store.gradient(layer.fanIn > 0 ? "\(layer.name).bias" : "\(layer.name).logits")
            for i in 0..<layer.units {
                for j in 0..<d {
                    for k in 0..<d { a[offset + j][offset + k] = layer.blocks[i][j][k] }
                    a[offset + j][offset + j] += damping
                    g[offset + j] = j < layer.fanIn ? Double(weight![i, j]) : Double(bias.data[i])
                }
                offset += d
            }
        }
        let want = Self.gaussianElimination(a, g)

        pre.apply()
        offset = 0
        var worst = 0.0, scale = 0.0
        for layer in layers {
            let weight = layer.fanIn > 0 ? m.store.gradient("\(layer.name).weight") : nil
            let bias = m.store.gradient(layer.fanIn > 0 ? "\(layer.name).bias" : "\(layer.name).logits")
            for i in 0..<layer.units {
                for j in 0...layer.fanIn {
                    let got = j < layer.fanIn ? Double(weight![i, j]) : Double(bias.data[i])
                    worst = max(worst, abs(got - want[offset + j]))
                    scale = max(scale, abs(want[offset + j]))
                }
                offset += layer.fanIn + 1
            }
        }
        #expect(worst <= 1e-5 * scale, "max |error| \(worst) against a dense solve, scale \(scale)")

        // Forcing one solver everywhere changes nothing but the plan.
        for kind in [FisherSolverKind.direct, .woodbury] {
            var again = Numbers(state: 77)
            for e in m.store.entries {
                let gr = m.store.gradient(e.name)
                for k in 0..<gr.count { gr.data[k] = Float(again.normal()) }
            }
            let forced = NaturalPreconditioner(machine: m, damping: damping, policy: .always(kind))
            try forced.update(generative: NaturalPreconditioner.generativeSamples(sleep),
                              recognition: NaturalPreconditioner.recognitionSamples(wake, data: x))
            #expect(forced.plans.dropFirst().allSatisfy { $0.kind == kind })
            forced.apply()
            offset = 0
            var err = 0.0
            for layer in layers {
                let weight = layer.fanIn > 0 ? m.store.gradient("\(layer.name).weight") : nil
                let bias = m.store.gradient(layer.fanIn > 0 ? "\(layer.name).bias" : "\(layer.name).logits")
                for i in 0..<layer.units {
                    for j in 0...layer.fanIn {
                        let got = j < layer.fanIn ? Double(weight![i, j]) : Double(bias.data[i])
                        err = max(err, abs(got - want[offset + j]))
                    }
                    offset += layer.fanIn + 1
                }
            }
            #expect(err <= 1e-5 * scale, "\(kind): max |error| \(err)")
        }
    }

    /// Rows `range` of a matrix, copied.
    static func slice(_ m: Matrix, _ range: Range<Int>) -> Matrix {
        let out = Matrix(rows: range.count, cols: m.cols)
        if !range.isEmpty { out.data.update(from: m.data + range.lowerBound * m.cols, count: range.count * m.cols) }
        return out
    }

    /// Two ranks, each with half of every layer's samples: summing the direct layers' packed
    /// buffers (an allreduce) and concatenating the Woodbury layers' samples (an allgather)
    /// gives the preconditioner of the whole sample, solver choices included.
    @Test func twoRanksEqualTheWholeSample() throws {
        let widths = [6, 4, 3]
        let m = randomMachine(widths, seed: 41, scale: 1.0)
        let sleep = SleepPhase(machine: m, dreams: 4)
        sleep.dream(count: 4, stream: RandomStream(key: 8, purpose: .sleep, step: 0), firstDream: 0)
        let x = Matrix([[1, 0, 1, 1, 0, 0], [0, 1, 1, 0, 1, 1]])
        let wake = ImportanceSampler(machine: m, batch: 2, samples: 3)
        wake.run(x, stream: RandomStream(key: 8, purpose: .wake, step: 0), firstExample: 0, withDeltas: false)
        let generative = NaturalPreconditioner.generativeSamples(sleep)
        let recognition = NaturalPreconditioner.recognitionSamples(wake, data: x)

        func randomGradient() {
            var r = Numbers(state: 99)
            for k in 0..<m.store.count { m.store.gradients.data[k] = Float(r.normal()) }
        }
        let whole = NaturalPreconditioner(machine: m, damping: 0.1)
        try whole.update(generative: generative, recognition: recognition)
        randomGradient()
        whole.apply()
        let want = m.store.gradients.array

        func half(_ s: FisherSamples, _ rank: Int) -> FisherSamples {
            let n = s.count, range = rank == 0 ? 0..<(n / 2) : (n / 2)..<n
            return FisherSamples(parents: Self.slice(s.parents, range), pre: Self.slice(s.pre, range), globalCount: n)
        }
        let ranks = (0..<2).map { rank in
            let p = NaturalPreconditioner(machine: m, damping: 0.1)
            p.accumulate(generative: generative.map { half($0, rank) }, recognition: recognition.map { half($0, rank) })
            return p
        }
        #expect(ranks[0].plans == whole.plans, "\(ranks[0].description) vs \(whole.description)")
        #expect(whole.plans.contains { $0.kind == .woodbury } && whole.plans.dropFirst().contains { $0.kind == .direct })
        for (a, b) in zip(ranks[0].blocks, ranks[1].blocks) {
            for k in 0..<a.bufferCount {
                let sum = a.buffer[k] + b.buffer[k]
                a.buffer[k] = sum
                b.buffer[k] = sum
            }
        }
        for (a, b) in zip(ranks[0].woodburySamples, ranks[1].woodburySamples) {
            let parents = Matrix(rows: a.parents.rows + b.parents.rows, cols: a.parents.cols,
                                 values: a.parents.array + b.parents.array)
            let weights = Matrix(rows: a.weights.rows + b.weights.rows, cols: a.weights.cols,
                                 values: a.weights.array + b.weights.array)
            for p in ranks { p.setWoodburySamples(name: a.name, parents: parents, weights: weights) }
        }
        for p in ranks {
            try p.factor()
            randomGradient()
            p.apply()
            let got = m.store.gradients.array
            let worst = zip(got, want).map { abs(Double($0) - Double($1)) }.max()!
            let scale = want.map { abs(Double($0)) }.max()!
            #expect(worst <= 1e-6 * scale, "max |error| \(worst), scale \(scale)")
        }
    }

    /// B1's shapes (784-200-200-10, 100 dreams, batch 100 × K = 5): the time of one Fisher
    /// update and one preconditioned step, per layer. A measurement, not a check: run with
    /// HM_FISHER_TIMING=1 (ideally in release).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HM_FISHER_TIMING"] != nil))
    func timingAtB1() throws {
        let m = randomMachine([784, 200, 200, 10], seed: 3, scale: 0.1)
        let sleep = SleepPhase(machine: m, dreams: 100)
        sleep.dream(count: 100, stream: RandomStream(key: 1, purpose: .sleep, step: 0), firstDream: 0)
        var r = Numbers(state: 5)
        let x = Matrix(rows: 100, cols: 784, values: (0..<78400).map { _ in Float(r.bit()) })
        let wake = ImportanceSampler(machine: m, batch: 100, samples: 5)
        wake.run(x, stream: RandomStream(key: 1, purpose: .wake, step: 0), firstExample: 0, withDeltas: false)
        let pre = NaturalPreconditioner(machine: m, damping: 1e-2)
        let clock = ContinuousClock()
        let t0 = clock.now
        pre.accumulate(generative: NaturalPreconditioner.generativeSamples(sleep),
                       recognition: NaturalPreconditioner.recognitionSamples(wake, data: x))
        let t1 = clock.now
        try pre.factor()
        let t2 = clock.now
        pre.apply()
        let t3 = clock.now
        print("B1 Fisher: \(pre.description)")
        print("B1 Fisher: accumulate \(t1 - t0), factor \(t2 - t1), apply \(t3 - t2)")
    }

    /// Solves a x = b by Gaussian elimination with partial pivoting, in float64.
    static func gaussianElimination(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var a = a, b = b
        let n = b.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            b.swapAt(col, pivot)
            for row in (col + 1)..<n where a[row][col] != 0 {
                let f = a[row][col] / a[col][col]
                for k in col..<n { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in (0..<n).reversed() {
            var s = b[row]
            for k in (row + 1)..<n { s -= a[row][k] * x[k] }
            x[row] = s / a[row][row]
        }
        return x
    }
}
