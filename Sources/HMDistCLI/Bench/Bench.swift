import Foundation
import HMComm
import HMCore
import HMData

/// Measures a workload's training rate and the bound its matrix products set (DESIGN §7).
///
/// The bound: one step runs with `BLAS.recorder` on, capturing every product of the step;
/// those products are then replayed alone, on matrices of the same shapes, and timed. The
/// step's FLOP count and the GEMM-only rate come from the same run on the same machine.
public struct Bench {
    public struct Result: Codable, Sendable {
        public var workload: String
        public var algorithm: String
        public var layers: [Int]
        public var points_per_second: Double
        public var gemm_bound_points_per_second: Double
        public var fraction_of_gemm_bound: Double
        public var mflop_per_step: Double
        public var gemm_gflops: Double
        public var step_milliseconds: Double
        public var gemm_milliseconds_per_step: Double
        public var steps_timed: Int
        public var rounds: Int
        public var blas_core: String
        public var blas_threads: Int
        public var blas_choice: String
    }

    let trainer: Trainer
    let workload: Workload

    public init(workload: Workload, settings: Settings, data: Matrix) throws {
        self.workload = workload
        let machine = HelmholtzMachine(widths: settings.layers!)
        machine.initialize(seed: settings.seed)
        var s = settings
        s.steps = Int.max / 2
        trainer = try Trainer(settings: s, machine: machine, train: data, comm: SingleProcessCommunicator())
    }

    /// Synthetic binary data of the workload's width: pixels on with probability 0.13, the
    /// density of binarized MNIST.
    public static func syntheticData(width: Int, count: Int = 10000) -> Matrix {
        let m = Matrix(rows: count, cols: width)
        let stream = RandomStream(key: 0xB1, purpose: .generate, step: 0)
        for r in 0..<count {
            stream.uniforms(tag: 0, index: r, into: m.row(r), count: width)
            for j in 0..<width { m.row(r)[j] = m.row(r)[j] < 0.13 ? 1 : 0 }
        }
        return m
    }

    /// `rounds` rounds of `steps` training steps and of the same steps' GEMMs alone; the best
    /// round of each is reported (best-of, as the platform figures are).
    public func run(steps: Int, rounds: Int) throws -> Result {
        for _ in 0..<5 { try trainer.runStep() }                       // warm up
        let recorder = GEMMRecorder()
        BLAS.recorder = recorder
        try trainer.runStep()
        BLAS.recorder = nil
        let calls = recorder.calls
        let replay = GEMMReplay(calls)
        var bestStep = Double.infinity, bestGEMM = Double.infinity
        for _ in 0..<rounds {
            let t0 = Date()
            for _ in 0..<steps { try trainer.runStep() }
            bestStep = min(bestStep, Date().timeIntervalSince(t0) / Double(steps))
            let t1 = Date()
            for _ in 0..<steps { replay.run() }
            bestGEMM = min(bestGEMM, Date().timeIntervalSince(t1) / Double(steps))
        }
        let flops = calls.reduce(0) { $0 + $1.flops }
        let batch = Double(trainer.settings.batch)
        let info = BLASKernel.info
        return Result(workload: workload.name, algorithm: trainer.settings.algorithm.rawValue, layers: trainer.machine.widths,
                      points_per_second: batch / bestStep, gemm_bound_points_per_second: batch / bestGEMM,
                      fraction_of_gemm_bound: bestGEMM / bestStep, mflop_per_step: flops / 1e6,
                      gemm_gflops: flops / bestGEMM / 1e9, step_milliseconds: bestStep * 1e3,
                      gemm_milliseconds_per_step: bestGEMM * 1e3, steps_timed: steps, rounds: rounds,
                      blas_core: info.core, blas_threads: info.threads, blas_choice: info.choice)
    }
}

/// The recorded products of one step, on matrices of the same shapes, ready to be timed.
final class GEMMReplay {
    let calls: [(GEMMCall, Matrix, Matrix, Matrix)]

    init(_ recorded: [GEMMCall]) {
        calls = recorded.map { c in
            let a = c.transposeA ? Matrix(rows: c.k, cols: c.m) : Matrix(rows: c.m, cols: c.k)
            let b = c.transposeB ? Matrix(rows: c.n, cols: c.k) : Matrix(rows: c.k, cols: c.n)
            a.fill(0.5)
            b.fill(0.25)
            return (c, a, b, Matrix(rows: c.m, cols: c.n))
        }
    }

    func run() {
        for (c, a, b, out) in calls {
            BLAS.gemm(a, transposeA: c.transposeA, b, transposeB: c.transposeB, into: out, beta: 1)
        }
    }
}
