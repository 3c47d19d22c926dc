import HMCore

/// The Hamming distance from each 0/1 row of `samples` to its nearest row of `training`, exact.
///
/// For 0/1 rows, Hamming(a, b) = |a| + |b| − 2 a·b, so one GEMM of a block of samples against a
/// block of training rows gives a whole block of distances. Blocks keep the product's memory
/// bounded (`sampleBlock` × `trainingBlock` floats, 8 MB by default) however large the training
/// set. Dot products of 0/1 vectors are small integers, exact in float32.
public enum NearestHamming {
    public static func distances(_ samples: Matrix, to training: Matrix, sampleBlock: Int = 512, trainingBlock: Int = 4096) -> [Int] {
        precondition(samples.cols == training.cols, "samples of \(samples.cols) pixels against training rows of \(training.cols)")
        precondition(training.rows > 0, "no training rows")
        let d = samples.cols
        let sampleOnes = rowSums(samples), trainingOnes = rowSums(training)
        var nearest = [Int](repeating: Int.max, count: samples.rows)
        let dots = Matrix(rows: min(sampleBlock, max(samples.rows, 1)), cols: min(trainingBlock, training.rows))
        for s0 in stride(from: 0, to: samples.rows, by: sampleBlock) {
            let sn = min(sampleBlock, samples.rows - s0)
            for t0 in stride(from: 0, to: training.rows, by: trainingBlock) {
                let tn = min(trainingBlock, training.rows - t0)
                BLAS.gemm(m: sn, n: tn, k: d, a: samples.row(s0), lda: d, b: training.row(t0), ldb: d, transposeB: true,
                          c: dots.data, ldc: tn)
                for i in 0..<sn {
                    var best = nearest[s0 + i]
                    let row = dots.data + i * tn
                    for j in 0..<tn {
                        let distance = sampleOnes[s0 + i] + trainingOnes[t0 + j] - 2 * Int(row[j].rounded())
                        if distance < best { best = distance }
                    }
                    nearest[s0 + i] = best
                }
            }
        }
        return nearest
    }

    /// The number of ones of each 0/1 row.
    static func rowSums(_ x: Matrix) -> [Int] {
        (0..<x.rows).map { r in
            var total: Float = 0
            for j in 0..<x.cols { total += x[r, j] }
            return Int(total.rounded())
        }
    }
}
