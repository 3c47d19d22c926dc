import Foundation
import Testing
@testable import HMAlgorithms
@testable import HMCore

/// Each sample-quality measure against a brute-force computation on small random 0/1 data.
@Suite struct SampleQualityTests {
    /// n random 0/1 rows, each pixel 1 with probability `ones`.
    static func rows(_ n: Int, width: Int, seed: UInt64, ones: Float = 0.3) -> Matrix {
        let x = Matrix(rows: n, cols: width)
        RandomStream(key: seed, purpose: .evaluate, step: 0).uniforms(tag: 7, index: 0, into: x.data, count: x.count)
        for i in 0..<x.count { x.data[i] = x.data[i] < ones ? 1 : 0 }
        return x
    }

    static func row(_ x: Matrix, _ r: Int) -> [Float] { Array(UnsafeBufferPointer(start: x.row(r), count: x.cols)) }

    @Test(arguments: [(3, 5), (512, 4096), (7, 11)])
    func nearestHammingIsBruteForce(sampleBlock: Int, trainingBlock: Int) {
        let samples = Self.rows(40, width: 70, seed: 1), training = Self.rows(53, width: 70, seed: 2)
        let expected = (0..<40).map { i in
            (0..<53).map { j in zip(Self.row(samples, i), Self.row(training, j)).filter { $0 != $1 }.count }.min()!
        }
        #expect(NearestHamming.distances(samples, to: training, sampleBlock: sampleBlock, trainingBlock: trainingBlock) == expected)
    }

    @Test func copiesDistinctAndMeanAgainstBruteForce() {
        // Sparse rows of 6 pixels repeat, among themselves and from the training set.
        let samples = Self.rows(60, width: 6, seed: 3, ones: 0.15), training = Self.rows(30, width: 6, seed: 4, ones: 0.15)
        for i in 0..<5 { samples.row(2 * i).update(from: training.row(i), count: 6) }
        let q = SampleQuality(samples: samples, training: training)
        let sampleRows = (0..<60).map { Self.row(samples, $0) }, trainingRows = (0..<30).map { Self.row(training, $0) }
        #expect(q.count == 60)
        #expect(q.distinct == Set(sampleRows).count)
        #expect(q.distinct < 60)
        let copies = sampleRows.filter { trainingRows.contains($0) }.count
        #expect(q.trainingCopies == copies && copies >= 5)
        #expect(abs(q.trainingCopyFraction - Double(copies) / 60) < 1e-12)
        let nearest = sampleRows.map { s in trainingRows.map { t in zip(s, t).filter { $0 != $1 }.count }.min()! }
        #expect(abs(q.nearestHammingMean - Double(nearest.reduce(0, +)) / 60) < 1e-12)
        #expect(q.labels == nil)
    }

    @Test func labelHistogramAgainstBruteForce() {
        let samples = Self.rows(50, width: 8, seed: 5)
        let c = LabelClassifier(width: 8, classes: 4, hidden: 3)
        RandomStream(key: 6, purpose: .initialize, step: 0).normals(tag: 0, index: 0, into: c.parameters.data, count: c.parameters.count)
        let q = SampleQuality(samples: samples, training: Self.rows(10, width: 8, seed: 6), classifier: c)
        let h = try! #require(q.labels)
        let p = c.probabilities(samples)
        var counts = [Int](repeating: 0, count: 4), confidence = 0.0
        for r in 0..<50 {
            let row = (0..<4).map { Double(p[r, $0]) }
            let best = row.firstIndex(of: row.max()!)!
            #expect(h.predicted[r] == best)
            counts[best] += 1
            confidence += row.max()!
        }
        #expect(h.counts == counts && h.counts.reduce(0, +) == 50)
        #expect(abs(h.meanConfidence - confidence / 50) < 1e-6)
        let entropy = -counts.filter { $0 > 0 }.map { Double($0) / 50 }.map { $0 * log($0) }.reduce(0, +)
        #expect(abs(h.entropy - entropy) < 1e-12)
        #expect(abs(h.maximumEntropy - log(4.0)) < 1e-12 && h.entropy <= h.maximumEntropy)
        #expect(abs(h.fraction(of: 2) - Double(counts[2]) / 50) < 1e-12)
    }

    @Test func evenAndSingleLabelEntropies() {
        // Softmax regression whose bias picks the class from nothing: every sample gets class 1.
        let c = LabelClassifier(width: 2, classes: 3)
        c.store.value("classifier.0.bias")[0, 1] = 5
        let h = LabelHistogram(c, samples: Self.rows(9, width: 2, seed: 8))
        #expect(h.counts == [0, 9, 0] && h.entropy == 0 && h.fraction(of: 1) == 1)
    }
}
