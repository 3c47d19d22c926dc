import CKernels
import Foundation
import Testing
@testable import HMCore

/// The packed Cholesky solve kernel against plain elimination (it backs the natural gradient).
struct CholeskyKernelTests {
    /// `hm_cholesky_packed_solve`: for SPD matrices A = RᵀR of sizes around its 8-wide dot
    /// products (1, 2, 7, 8, 9, 17, 100), R from LAPACK's Cholesky packed row by row, the solve
    /// equals Gaussian elimination on A to 1e-10 relative.
    @Test(arguments: [1, 2, 7, 8, 9, 17, 100])
    func packedCholeskySolveMatchesElimination(n: Int) {
        var r = FisherTests.Numbers(state: UInt64(n))
        let m = (0..<(n * n)).map { _ in r.normal() }
        var a = [Double](repeating: 0, count: n * n)   // A = MᵀM/n + I
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += m[k * n + i] * m[k * n + j] }
            a[i * n + j] = s / Double(n) + (i == j ? 1 : 0)
        } }
        let b = (0..<n).map { _ in r.normal() }
        var factor = a, packed = [Double](repeating: 0, count: n * (n + 1) / 2)
        factor.withUnsafeMutableBufferPointer { #expect(Float64Linear.choleskyUpper($0.baseAddress!, n: n)) }
        factor.withUnsafeBufferPointer { f in packed.withUnsafeMutableBufferPointer { Float64Linear.packUpper(f.baseAddress!, n: n, into: $0.baseAddress!) } }
        var x = b
        hm_cholesky_packed_solve(packed, Int64(n), &x)
        let want = FisherTests.gaussianElimination((0..<n).map { Array(a[($0 * n)..<($0 * n + n)]) }, b)
        let err = zip(x, want).map { abs($0 - $1) }.max()!, norm = want.map(abs).max()!
        #expect(err <= 1e-10 * norm, "n = \(n): off by \(err) (|x| \(norm))")
    }
}
