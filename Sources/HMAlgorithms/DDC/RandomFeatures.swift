import Foundation
import HMCore

/// Fixed random features of a layer's states, T(z) = [σ(U z + c); 1]: K sigmoids of random
/// projections, U_kj ~ N(0, 9/width) and c_k ~ N(0, 1), drawn once from the run's seed (the
/// initialise stream, `tag`), and a constant; or (`cosine`) random Fourier features
/// [cos(U z + c); 1] with c_k uniform on [0, 2π). The constant makes every ridge fit carry a
/// bias. The projections are float32 products, the features float64 (the regressions' type).
final class RandomFeatures {
    let width: Int
    let count: Int
    private let u: Matrix
    private let c: [Float]
    let type: DDCFeatureType
    /// The pre-activations and sigmoids of the last call, grown as needed.
    private var pre = Matrix(rows: 0, cols: 0), sigmoids = Matrix(rows: 0, cols: 0)

    /// Width of T: the K sigmoids and the constant.
    var dimension: Int { count + 1 }

    init(width: Int, count: Int, seed: UInt64, tag: UInt32, type: DDCFeatureType = .sigmoid) {
        self.width = width
        self.count = count
        self.type = type
        let stream = RandomStream(key: seed, purpose: .initialize, step: 0x0DDC)
        u = Matrix(rows: count, cols: width)
        var c = [Float](repeating: 0, count: count)
        stream.normals(tag: tag, index: 0, into: u.data, count: count * width)
        c.withUnsafeMutableBufferPointer { stream.normals(tag: tag, index: 1, into: $0.baseAddress!, count: count) }
        if type == .cosine {
            c.withUnsafeMutableBufferPointer { stream.uniforms(tag: tag, index: 2, into: $0.baseAddress!, count: count) }
            for k in 0..<count { c[k] *= 2 * Float.pi }
        }
        let scale = Float(3 / Double(max(width, 1)).squareRoot())
        for i in 0..<u.count { u.data[i] *= scale }
        self.c = c
    }

    /// T of the first `rows` rows of `z` ([rows, width]) into `out`, [rows, dimension] row-major.
    func callAsFunction(_ z: Matrix, rows: Int, into out: UnsafeMutablePointer<Double>) {
        if pre.capacity < rows || pre.cols != count {
            pre = Matrix(rows: rows, cols: count)
            sigmoids = Matrix(rows: rows, cols: count)
        }
        pre.setRows(rows)
        sigmoids.setRows(rows)
        for r in 0..<rows { pre.row(r).update(from: c, count: count) }
        BLAS.gemm(m: rows, n: count, k: width, a: z.data, lda: z.cols, b: u.data, ldb: width, transposeB: true,
                  c: pre.data, ldc: count, beta: 1)
        switch type {
        case .sigmoid: pre.sigmoid(into: sigmoids)
        case .cosine: for i in 0..<(rows * count) { sigmoids.data[i] = cos(pre.data[i]) }
        }
        let d = dimension
        for r in 0..<rows {
            let row = out + r * d, p = sigmoids.row(r)
            for k in 0..<count { row[k] = Double(p[k]) }
            row[count] = 1
        }
    }

    /// The same into a new array (for the tests).
    func callAsFunction(_ z: Matrix, rows: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * dimension)
        out.withUnsafeMutableBufferPointer { callAsFunction(z, rows: rows, into: $0.baseAddress!) }
        return out
    }
}
