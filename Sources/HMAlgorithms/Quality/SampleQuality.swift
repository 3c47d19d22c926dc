import HMCore

/// How good and how varied a set of 0/1 samples is, against the training set (issue 14):
/// how far each is from its nearest training row, how many are copies of one, how many are
/// distinct, and, given a label classifier, how sure it is of them and how their labels spread.
/// The MMD, the other measure, is `MaximumMeanDiscrepancy`.
public struct SampleQuality: Sendable {
    public let count: Int
    /// Samples that differ from every other sample in at least one pixel (counting one of each).
    public let distinct: Int
    /// Samples equal to some training row.
    public let trainingCopies: Int
    /// The Hamming distance of each sample to its nearest training row.
    public let nearestHamming: [Int]
    /// The classifier's view of the samples, when one is given.
    public let labels: LabelHistogram?

    /// `samples` and `training` hold 0/1 rows of one width.
    public init(samples: Matrix, training: Matrix, classifier: LabelClassifier? = nil) {
        precondition(Self.isBinary(samples) && Self.isBinary(training), "sample quality of rows that are not 0/1")
        count = samples.rows
        distinct = Self.distinctRows(samples)
        nearestHamming = NearestHamming.distances(samples, to: training)
        trainingCopies = nearestHamming.filter { $0 == 0 }.count
        labels = classifier.map { LabelHistogram($0, samples: samples) }
    }

    public var trainingCopyFraction: Double { count == 0 ? 0 : Double(trainingCopies) / Double(count) }

    public var nearestHammingMean: Double {
        count == 0 ? 0 : Double(nearestHamming.reduce(0, +)) / Double(count)
    }

    /// Whether every value of `x` is exactly 0 or 1, as these measures need.
    public static func isBinary(_ x: Matrix) -> Bool {
        (0..<x.count).allSatisfy { x.data[$0] == 0 || x.data[$0] == 1 }
    }

    /// The number of different rows, each row packed into bits for hashing.
    static func distinctRows(_ x: Matrix) -> Int {
        var seen = Set<[UInt64]>()
        for r in 0..<x.rows {
            var bits = [UInt64](repeating: 0, count: (x.cols + 63) / 64)
            for j in 0..<x.cols where x[r, j] != 0 { bits[j / 64] |= 1 << UInt64(j % 64) }
            seen.insert(bits)
        }
        return seen.count
    }
}
