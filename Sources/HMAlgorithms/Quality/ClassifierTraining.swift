import HMCore

/// Training a `LabelClassifier` by minibatch Adam on the log-likelihood of the labels.
///
/// Deterministic for a seed: the weights start from the initialize stream and each epoch
/// visits the examples in `DataOrder.permutation(seed, epoch)`.
public struct ClassifierTraining: Sendable {
    public var epochs = 30
    public var batchSize = 100
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1

    public init(epochs: Int = 30, batchSize: Int = 100, learningRate: Float = 1e-3, seed: UInt64 = 1) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }

    /// Trains `classifier` from its initial weights on the rows of `x` (n × width) and their
    /// `labels` (each in 0..<classes); returns the mean log-likelihood of each epoch's batches.
    @discardableResult
    public func train(_ classifier: LabelClassifier, x: Matrix, labels: [Int]) -> [Double] {
        precondition(labels.count == x.rows && x.rows > 0, "\(labels.count) labels for \(x.rows) rows")
        precondition(labels.allSatisfy { (0..<classifier.classes).contains($0) }, "labels outside 0..<\(classifier.classes)")
        precondition(epochs >= 0 && batchSize > 0 && learningRate > 0, "epochs \(epochs), batch \(batchSize), rate \(learningRate)")
        classifier.initialize(seed: seed)
        let adam = Adam(count: classifier.parameters.count, learningRate: learningRate)
        let gradient = classifier.store.gradients
        let batch = Matrix(rows: min(batchSize, x.rows), cols: x.cols)
        var history: [Double] = []
        for epoch in 0..<epochs {
            let order = DataOrder.permutation(count: x.rows, seed: seed, epoch: epoch)
            var total = 0.0, batches = 0
            for start in stride(from: 0, to: x.rows, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, x.rows)])
                batch.setRows(rows.count)
                for (r, i) in rows.enumerated() { batch.row(r).update(from: x.row(i), count: x.cols) }
                total += classifier.logLikelihood(batch, labels: rows.map { labels[$0] }, gradient: gradient)
                adam.step(parameters: classifier.parameters, gradients: gradient)
                batches += 1
            }
            history.append(total / Double(batches))
        }
        return history
    }
}
