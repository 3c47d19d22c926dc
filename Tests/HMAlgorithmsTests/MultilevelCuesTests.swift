import Foundation
import Testing
import HMAlgorithms
@testable import HMCore

/// Multilevel cues (Ramos et al.): the pyramid against a naive computation, λ's schedule, and
/// the wake update at λ = 1 against the delta rule on the cue states (the float64 reference).
struct MultilevelCuesTests {
    /// A naive pyramid: each output pixel pools the input pixels (a, b) with a/2 = i, b/2 = j.
    static func naivePyramid(_ x: [Double], rows: Int, cols: Int, levels: Int, pool: CuePool) -> [[Double]] {
        var out: [[Double]] = []
        var img = x, r = rows, c = cols
        for _ in 0..<levels {
            let r1 = Int((Double(r) / 2).rounded(.up)), c1 = Int((Double(c) / 2).rounded(.up))
            var blocks = [[Double]](repeating: [], count: r1 * c1)
            for a in 0..<r { for b in 0..<c { blocks[(a / 2) * c1 + b / 2].append(img[a * c + b]) } }
            img = blocks.map { v in
                let p = pool == .mean ? v.reduce(0, +) / Double(v.count) : v.max()!
                return p >= 0.5 ? 1 : 0
            }
            (r, c) = (r1, c1)
            out.append(img)
        }
        return out
    }

    static func binaryRows(_ n: Int, _ w: Int, seed: UInt64, density: Float = 0.4) -> [[Double]] {
        var u = [Float](repeating: 0, count: w)
        return (0..<n).map { i in
            RandomStream(key: seed, purpose: .generate, step: 0).uniforms(tag: 1, index: i, into: &u, count: w)
            return u.map { $0 < density ? 1 : 0 }
        }
    }

    @Test(arguments: [CuePool.mean, .max])
    func pyramidMatchesANaiveComputation(pool: CuePool) {
        // 7 × 5: odd sides, so edge blocks are partial (7×5 → 4×3 → 2×2 → 1×1).
        let widths = [12, 6, 4, 3]   // level sizes 12, 4, 1: equal, wider, wider
        let pyramid = CuePyramid(rows: 7, cols: 5, widths: widths, pool: pool, binarization: .threshold)
        #expect(pyramid.shapes.map { [$0.rows, $0.cols] } == [[7, 5], [4, 3], [2, 2], [1, 1], [1, 1]])
        for x in Self.binaryRows(20, 35, seed: 4) {
            let naive = Self.naivePyramid(x, rows: 7, cols: 5, levels: 4, pool: pool)
            let out = widths.map { Matrix(rows: 1, cols: $0) }
            let xm = Matrix([x])
            pyramid.cues(of: xm.data, into: out.map(\.data)) { _, _, _ in Issue.record("no draws when thresholding") }
            for (l, w) in widths.enumerated() {
                let level = naive[l], n = level.count
                // The fixed map: unit j takes pixel ⌊j·n / w⌋.
                #expect(out[l].array.map(Double.init) == (0..<w).map { level[$0 * n / w] }, "level \(l + 1), \(pool)")
            }
        }
    }

    @Test func sampledCuesDrawEachPixelOnce() {
        // One level of a 2×2 image: the mean is the fraction on; a draw u turns it on iff u < mean.
        let pyramid = CuePyramid(rows: 2, cols: 2, widths: [1], pool: .mean, binarization: .sample)
        for (draw, expected): (Float, Float) in [(0.74, 1), (0.76, 0)] {
            let out = Matrix(rows: 1, cols: 1), x = Matrix([[1, 1, 0, 1]])
            pyramid.cues(of: x.data, into: [out.data]) { level, n, u in
                #expect(level == 1 && n == 1)
                u[0] = draw
            }
            #expect(out.data[0] == expected)
        }
    }

    @Test func lambdaFallsLinearlyFromOneToZero() {
        let s = CueSchedule(steps: 200)
        #expect(s.lambda(step: 0) == 1)
        #expect(s.lambda(step: 50) == 0.75)
        #expect(s.lambda(step: 100) == 0.5)
        #expect(s.lambda(step: 200) == 0)
        #expect(s.lambda(step: 5000) == 0)
        #expect(CueSchedule(steps: 0).lambda(step: 0) == 0)
    }

    /// At λ = 1 every point's hidden layers are its cues: wake-p is the delta rule
    /// (1/B) Σ_b ∇ log p(c_0, c_1, …, c_L), for ws and rws alike, and q learns the cue pairs
    /// only when asked.
    @Test(arguments: [("ws", false), ("rws", false), ("ws", true), ("rws", true)])
    func wakeAtLambdaOneIsTheDeltaRuleOnTheCues(algorithm: String, recognition: Bool) {
        let widths = [36, 9, 4, 1], B = 8
        let machine = randomMachine(widths, seed: 11, scale: 0.8)
        let inner: WakeSampled = algorithm == "ws"
            ? WakeSleep(machine: machine, batch: B, dreams: 1)
            : ReweightedWakeSleep(machine: machine, batch: B, samples: 3, dreams: 1)
        let pyramid = CuePyramid(rows: 6, cols: 6, widths: Array(widths.dropFirst()), pool: .mean, binarization: .threshold)
        let cues = MultilevelCues(inner: inner, pyramid: pyramid, schedule: CueSchedule(steps: 1000),
                                  trainRecognition: recognition, batch: B)
        let rows = Self.binaryRows(B, 36, seed: 9, density: 0.5)
        machine.store.gradients.fill(0)
        _ = cues.wake(StepShare(x: Matrix(rows), firstExample: 0, globalBatch: B, dreams: 1, firstDream: 0,
                                globalDreams: 1, step: 0, seed: 5))
        let ref = Reference(machine)
        var expected: [String: [Double]] = [:]
        for x in rows {
            let h = Self.naivePyramid(x, rows: 6, cols: 6, levels: 3, pool: .mean)
            for generative in [true, false] {
                for (name, g) in ref.gradient(x, h, generative: generative) {
                    let scale = generative || recognition ? 1 / Double(B) : 0
                    expected[name] = zip(expected[name] ?? [Double](repeating: 0, count: g.count), g).map { $0 + scale * $1 }
                }
            }
        }
        for (name, g) in expected {
            let got = machine.store.gradient(name).array
            let err = zip(got, g).map { abs(Double($0) - $1) }.max()!
            #expect(err < 1e-5, "\(algorithm), recognition \(recognition): \(name) off the delta rule by \(err)")
        }
        #expect(cues.counters["multilevel_clamped"] == 1)
    }
}
