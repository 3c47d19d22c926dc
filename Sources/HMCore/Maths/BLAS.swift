import CBLAS

/// The matrix products of the training step, all through OpenBLAS's `cblas_sgemm`.
public enum BLAS {
    /// When set, every product's shape is recorded: `bench` replays one step's GEMMs alone to
    /// measure the bound the step is held against.
    nonisolated(unsafe) public static var recorder: GEMMRecorder?

    /// c = alpha · op(a) · op(b) + beta · c, with op a transpose when asked.
    /// Shapes are read from the matrices (row-major); a mismatch is a programming error.
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix,
                            transposeB: Bool = false, into c: Matrix,
                            alpha: Float = 1, beta: Float = 0) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        let kb = transposeB ? b.cols : b.rows
        precondition(k == kb && c.rows == m && c.cols == n,
                     "gemm shapes: [\(m)×\(k)]·[\(kb)×\(n)] into [\(c.rows)×\(c.cols)]")
        recorder?.calls.append(GEMMCall(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta != 1 { for i in 0..<c.count { c.data[i] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a.data, Int32(a.cols),
                    b.data, Int32(b.cols), beta, c.data, Int32(c.cols))
    }
}

extension BLAS {
    /// The same product on raw row-major operands with leading dimensions: for column blocks
    /// of a wider matrix (a Gaussian layer's [mean | log-variance] halves).
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                            b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        recorder?.calls.append(GEMMCall(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// The shape of one `BLAS.gemm` call.
public struct GEMMCall: Sendable, Equatable {
    public let m: Int, n: Int, k: Int
    public let transposeA: Bool, transposeB: Bool
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

public final class GEMMRecorder: @unchecked Sendable {
    public var calls: [GEMMCall] = []
    public init() {}
}
