import Foundation
import HMCore

/// The maximum mean discrepancy between two samples (Gretton et al. 2012), the metric of the
/// DDC paper: with a Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2σ²)) whose bandwidth σ is the
/// median distance between distinct points of the pooled sample, the unbiased estimate of
/// MMD² from n points of each,
///
///     MMD²_u = 1/(n(n−1)) Σ_{i≠j} h_ij,  h_ij = k(x_i,x_j) + k(y_i,y_j) − k(x_i,y_j) − k(x_j,y_i),
///
/// and its standard error from the U-statistic's first-order variance, 4/n · Var_i(h̄_i), with
/// h̄_i = 1/(n−1) Σ_{j≠i} h_ij. Squared distances come from one GEMM of the pooled sample.
public enum MaximumMeanDiscrepancy {
    public struct Estimate: Sendable {
        public let mmd2: Double
        public let standardError: Double
        public let bandwidth: Double
    }

    /// `x` and `y` hold n rows each, of the same width, n ≥ 2.
    public static func estimate(_ x: Matrix, _ y: Matrix) -> Estimate {
        precondition(x.rows == y.rows && x.rows >= 2 && x.cols == y.cols, "two samples of n ≥ 2 rows of one width")
        let n = x.rows, m = 2 * n, d = x.cols
        let z = Matrix(rows: m, cols: d)
        z.data.update(from: x.data, count: n * d)
        (z.data + n * d).update(from: y.data, count: n * d)
        let gram = Matrix(rows: m, cols: m)
        BLAS.gemm(z, z, transposeB: true, into: gram)
        let norms = (0..<m).map { Double(gram[$0, $0]) }
        var d2 = [Double](repeating: 0, count: m * m)
        var distances: [Double] = []
        distances.reserveCapacity(m * (m - 1) / 2)
        for i in 0..<m {
            for j in 0..<m where j != i {
                let v = max(norms[i] + norms[j] - 2 * Double(gram[i, j]), 0)
                d2[i * m + j] = v
                if j > i { distances.append(v.squareRoot()) }
            }
        }
        distances.sort()
        let half = distances.count / 2
        let median = distances.count % 2 == 1 ? distances[half] : (distances[half - 1] + distances[half]) / 2
        let sigma = median > 0 ? median : 1
        func k(_ i: Int, _ j: Int) -> Double { exp(-d2[i * m + j] / (2 * sigma * sigma)) }
        var rowMeans = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n where j != i { s += k(i, j) + k(n + i, n + j) - k(i, n + j) - k(j, n + i) }
            rowMeans[i] = s / Double(n - 1)
        }
        let mmd2 = rowMeans.reduce(0, +) / Double(n)
        let variance = rowMeans.map { ($0 - mmd2) * ($0 - mmd2) }.reduce(0, +) / Double(n - 1)
        return Estimate(mmd2: mmd2, standardError: (4 * variance / Double(n)).squareRoot(), bandwidth: sigma)
    }
}
