import Foundation
import HMCore

/// What a `LabelClassifier` says of a set of samples: each one's most probable label and its
/// probability, how many fall in each class, and how evenly (the histogram's entropy).
///
/// Also the measure of goal recovery: `fraction(of: k)` of the samples drawn for goal k.
public struct LabelHistogram: Sendable {
    /// The most probable class of each sample, in order.
    public let predicted: [Int]
    /// Its probability for each sample: how sure the classifier is.
    public let confidences: [Float]
    /// Samples per class, one entry per class of the classifier.
    public let counts: [Int]

    public init(_ classifier: LabelClassifier, samples: Matrix) {
        let classified = classifier.classify(samples)
        predicted = classified.map(\.label)
        confidences = classified.map(\.confidence)
        var counts = [Int](repeating: 0, count: classifier.classes)
        for label in predicted { counts[label] += 1 }
        self.counts = counts
    }

    /// The mean of the largest class probability over the samples (0 for no samples).
    public var meanConfidence: Double {
        confidences.isEmpty ? 0 : confidences.reduce(0) { $0 + Double($1) } / Double(confidences.count)
    }

    /// The entropy of the histogram, −Σ f_k log f_k in nats: 0 when every sample gets one label,
    /// `maximumEntropy` when the labels are spread evenly.
    public var entropy: Double {
        let n = Double(predicted.count)
        return counts.filter { $0 > 0 }.reduce(0) { total, c in total - Double(c) / n * log(Double(c) / n) }
    }

    /// log(classes), the entropy of an even spread.
    public var maximumEntropy: Double { log(Double(counts.count)) }

    /// The fraction of samples labelled `label`.
    public func fraction(of label: Int) -> Double {
        predicted.isEmpty || !counts.indices.contains(label) ? 0 : Double(counts[label]) / Double(predicted.count)
    }
}
