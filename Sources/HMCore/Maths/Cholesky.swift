import CBLAS
import CKernels

/// The float64 dense linear algebra of the natural-gradient algorithms: a symmetric
/// positive-definite factorisation through LAPACK (`dpotrf_`, which libopenblas carries) and
/// the BLAS-3 products around it, on raw row-major double buffers.
///
/// Everything here is row-major. A factor is returned as the upper triangle R of A = RᵀR
/// (row-major upper = LAPACK's column-major lower), so that it can be packed row by row and
/// applied by `solvePacked`.
public enum Float64Linear {
    /// Factors the symmetric positive-definite n×n matrix `a` (both triangles filled, or at
    /// least the upper one) in place: afterwards its upper triangle holds R with A = RᵀR.
    /// Returns false if A is not positive definite (LAPACK's info > 0).
    public static func choleskyUpper(_ a: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        if n == 0 { return true }
        // Row-major upper is column-major lower: LAPACK's 'L' factor L (A = LLᵀ) read row-major
        // is Lᵀ = R. LAPACK reads the column-major lower triangle = our row-major upper.
        var uplo = CChar(UInt8(ascii: "L")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotrf_(&uplo, &nn, a, &lda, &info)
        precondition(info >= 0, "dpotrf argument \(-info) invalid")
        return info == 0
    }

    /// Copies the upper triangle of the row-major n×n `a` into `packed` (n(n+1)/2, row by row).
    public static func packUpper(_ a: UnsafePointer<Double>, n: Int, into packed: UnsafeMutablePointer<Double>) {
        var p = packed
        for j in 0..<n {
            p.update(from: a + j * n + j, count: n - j)
            p += n - j
        }
    }

    /// Adds the upper triangle of `a` to `packed`.
    public static func addUpper(_ a: UnsafePointer<Double>, n: Int, to packed: UnsafeMutablePointer<Double>) {
        var p = packed
        for j in 0..<n {
            let row = a + j * n + j
            for k in 0..<(n - j) { p[k] += row[k] }
            p += n - j
        }
    }

    /// Fills the full symmetric row-major n×n `a` from a packed upper triangle, times `scale`,
    /// plus `shift` on the diagonal.
    public static func unpackSymmetric(_ packed: UnsafePointer<Double>, n: Int, scale: Double, shift: Double,
                                       into a: UnsafeMutablePointer<Double>) {
        var p = packed
        for j in 0..<n {
            for k in j..<n {
                let v = p[k - j] * scale
                a[j * n + k] = v
                a[k * n + j] = v
            }
            a[j * n + j] += shift
            p += n - j
        }
    }

    /// x ← A⁻¹x with A = RᵀR and R packed upper (row-major), by two triangular solves
    /// (`hm_cholesky_packed_solve`: for the many small systems of the natural gradient it is
    /// about twice as fast as two `cblas_dtpsv`, whose row updates go through `daxpy` calls).
    public static func solvePacked(_ r: UnsafePointer<Double>, n: Int, _ x: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        hm_cholesky_packed_solve(r, Int64(n), x)
    }

    /// C (n×n, upper triangle only) = alpha · AᵀA + beta · C, A row-major k×n (`lda` ≥ n).
    public static func syrkTransposed(_ a: UnsafePointer<Double>, k: Int, n: Int, lda: Int, alpha: Double = 1,
                                      beta: Double, into c: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        if k == 0 {
            if beta != 1 { for i in 0..<(n * n) { c[i] *= beta } }
            return
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda),
                    beta, c, Int32(n))
    }

    /// C (n×n, upper triangle only) = alpha · AAᵀ + beta · C, A row-major n×k (`lda` ≥ k).
    public static func syrk(_ a: UnsafePointer<Double>, n: Int, k: Int, lda: Int, alpha: Double = 1,
                            beta: Double, into c: UnsafeMutablePointer<Double>) {
        if n == 0 { return }
        if k == 0 {
            if beta != 1 { for i in 0..<(n * n) { c[i] *= beta } }
            return
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda),
                    beta, c, Int32(n))
    }

    /// C (m×n) = alpha · op(A) · op(B) + beta · C, all row-major and contiguous
    /// (A is m×k or k×m, B is k×n or n×k).
    public static func gemm(_ a: UnsafePointer<Double>, transposeA: Bool = false, _ b: UnsafePointer<Double>,
                            transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Double = 1,
                            beta: Double = 0, into c: UnsafeMutablePointer<Double>) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// B ← A⁻¹B for the `rows` right-hand sides that are the rows of the row-major `b`
    /// (rows × n): A = RᵀR as `choleskyUpper` left it (n×n). A row-major row is a LAPACK
    /// column, so this is one `dpotrs` over all of them.
    public static func solveRows(_ r: UnsafePointer<Double>, n: Int, _ b: UnsafeMutablePointer<Double>, rows: Int) {
        if n == 0 || rows == 0 { return }
        var uplo = CChar(UInt8(ascii: "L")), nn = Int32(n), nrhs = Int32(rows), info: Int32 = 0
        dpotrs_(&uplo, &nn, &nrhs, r, &nn, b, &nn, &info)
        precondition(info == 0, "dpotrs argument \(-info) invalid")
    }

    /// y = alpha · op(A) x + beta · y, A row-major m×n (op(A) = Aᵀ when `transpose`).
    public static func gemv(_ a: UnsafePointer<Double>, transpose: Bool = false, m: Int, n: Int, _ x: UnsafePointer<Double>,
                            alpha: Double = 1, beta: Double = 0, into y: UnsafeMutablePointer<Double>) {
        let out = transpose ? n : m
        if out == 0 { return }
        if (transpose ? m : n) == 0 {
            for i in 0..<out { y[i] = beta == 0 ? 0 : beta * y[i] }
            return
        }
        cblas_dgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(n), x, 1, beta, y, 1)
    }
}
