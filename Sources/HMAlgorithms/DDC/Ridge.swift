import HMCore

/// Ridge regression in float64 on row-major buffers: coefficients
/// (ΦᵀΦ + λI)⁻¹ ΦᵀY, through one Cholesky factor of the (n × n) Gram matrix.
struct RidgeFactor {
    let n: Int
    /// The packed upper factor R of ΦᵀΦ + λI = RᵀR.
    private var packed: [Double]

    /// `gram` is ΦᵀΦ, n × n, both triangles or the upper one; λ > 0 keeps it definite.
    init(gram: [Double], n: Int, lambda: Double) {
        self.n = n
        var a = gram
        for i in 0..<n { a[i * n + i] += lambda }
        let ok = a.withUnsafeMutableBufferPointer { Float64Linear.choleskyUpper($0.baseAddress!, n: n) }
        precondition(ok, "ridge Gram matrix with λ = \(lambda) is not positive definite")
        packed = [Double](repeating: 0, count: n * (n + 1) / 2)
        a.withUnsafeBufferPointer { src in packed.withUnsafeMutableBufferPointer { Float64Linear.packUpper(src.baseAddress!, n: n, into: $0.baseAddress!) } }
    }

    /// X ← (ΦᵀΦ + λI)⁻¹ X for X row-major n × m, column by column.
    func solve(_ x: inout [Double], columns m: Int) {
        var column = [Double](repeating: 0, count: n)
        for j in 0..<m {
            for i in 0..<n { column[i] = x[i * m + j] }
            packed.withUnsafeBufferPointer { r in column.withUnsafeMutableBufferPointer { Float64Linear.solvePacked(r.baseAddress!, n: n, $0.baseAddress!) } }
            for i in 0..<n { x[i * m + j] = column[i] }
        }
    }
}

/// Row-major float64 helpers of the DDC regressions.
enum Dense {
    /// AᵀB: A is k × m, B is k × n → m × n.
    static func transposedProduct(_ a: [Double], _ b: [Double], k: Int, m: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer {
            Float64Linear.gemm(a.baseAddress!, transposeA: true, b.baseAddress!, m: m, n: n, k: k, into: $0.baseAddress!)
        } } }
        return c
    }

    /// AB: A is m × k, B is k × n → m × n.
    static func product(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer {
            Float64Linear.gemm(a.baseAddress!, b.baseAddress!, m: m, n: n, k: k, into: $0.baseAddress!)
        } } }
        return c
    }
}
