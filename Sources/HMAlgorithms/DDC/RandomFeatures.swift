import Foundation
import HMCore

/// Fixed random features of a layer's states, T(z) = [σ(U z + c); 1]: K sigmoids of random
/// projections, U_kj ~ N(0, 9/width) and c_k ~ N(0, 1), drawn once from the run's seed (the
/// initialise stream, `tag`), and a constant. The constant makes every ridge fit carry a
/// bias. Features are float64.
struct RandomFeatures {
    let width: Int
    let count: Int
    private let u: [Float]
    private let c: [Float]

    /// Width of T: the K sigmoids and the constant.
    var dimension: Int { count + 1 }

    init(width: Int, count: Int, seed: UInt64, tag: UInt32) {
        self.width = width
        self.count = count
        let stream = RandomStream(key: seed, purpose: .initialize, step: 0x0DDC)
        var u = [Float](repeating: 0, count: count * width), c = [Float](repeating: 0, count: count)
        u.withUnsafeMutableBufferPointer { stream.normals(tag: tag, index: 0, into: $0.baseAddress!, count: count * width) }
        c.withUnsafeMutableBufferPointer { stream.normals(tag: tag, index: 1, into: $0.baseAddress!, count: count) }
        let scale = Float(3 / Double(max(width, 1)).squareRoot())
        self.u = u.map { $0 * scale }
        self.c = c
    }

    /// T of the first `rows` rows of `z` ([rows, width]): [rows, dimension], row-major.
    func callAsFunction(_ z: Matrix, rows: Int) -> [Double] {
        let pre = Matrix(rows: rows, cols: count)
        for r in 0..<rows { (pre.data + r * count).update(from: c, count: count) }
        u.withUnsafeBufferPointer { u in
            BLAS.gemm(m: rows, n: count, k: width, a: z.data, lda: z.cols, b: u.baseAddress!, ldb: width, transposeB: true,
                      c: pre.data, ldc: count, beta: 1)
        }
        var out = [Double](repeating: 1, count: rows * dimension)
        for r in 0..<rows {
            for k in 0..<count { out[r * dimension + k] = 1 / (1 + exp(-Double(pre.data[r * count + k]))) }
        }
        return out
    }
}
