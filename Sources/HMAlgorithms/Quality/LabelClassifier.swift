import Foundation
import HMCore

/// A small classifier of a data set's labels, the yardstick of the sample-quality measures
/// (`SampleQuality`): with no hidden layer, softmax regression, p(y | x) = softmax(W x + b);
/// with H hidden units, one ReLU layer first, h = max(0, W₁ x + b₁), p(y | x) = softmax(W₂ h + b₂).
///
/// All parameters live in one `ParameterStore` (`classifier.<layer>.weight` [out × in], as the
/// Helmholtz machine's layers store them, and `classifier.<layer>.bias`), so that one Adam step
/// updates them all and the file holds them as they are; its gradient buffer takes the
/// training gradient.
public final class LabelClassifier: @unchecked Sendable {
    public let width: Int
    public let classes: Int
    /// Hidden units; 0 is softmax regression.
    public let hidden: Int
    public let store: ParameterStore
    public var parameters: Matrix { store.values }
    public var entries: [ParameterStore.Entry] { store.entries }

    /// A classifier with zero parameters (load them, or `initialize`).
    public init(width: Int, classes: Int, hidden: Int = 0) {
        precondition(width > 0 && classes >= 2 && hidden >= 0, "classifier of \(width) inputs, \(classes) classes, \(hidden) hidden")
        self.width = width
        self.classes = classes
        self.hidden = hidden
        let layers = hidden == 0 ? [(classes, width)] : [(hidden, width), (classes, hidden)]
        store = ParameterStore(layers.enumerated().flatMap { i, shape in
            [("classifier.\(i).weight", [shape.0, shape.1]), ("classifier.\(i).bias", [shape.0])]
        })
    }

    /// Weights drawn N(0, 2 / inputs) (He et al. 2015) for the hidden layer, zero for the
    /// softmax layer of regression (its loss is convex) and small for a hidden network's;
    /// biases zero. Keyed by `seed` through the initialize stream (the classifier's own seed,
    /// so no Helmholtz machine's draws are shared; layer l is tagged as recognition layer l).
    public func initialize(seed: UInt64) {
        parameters.fill(0)
        guard hidden > 0 else { return }
        let stream = RandomStream(key: seed, purpose: .initialize, step: 0)
        for (layer, entry) in weightEntries.enumerated() {
            let scale = Float((2 / Double(entry.shape[1])).squareRoot()) * (layer == 0 ? 1 : 0.1)
            let values = parameters.data + entry.offset
            stream.normals(tag: stream.tag(.recognition, layer: layer), index: 0, into: values, count: entry.count)
            for i in 0..<entry.count { values[i] *= scale }
        }
    }

    var weightEntries: [ParameterStore.Entry] { entries.filter { $0.shape.count == 2 } }

    /// A view of one layer's weight or bias inside `buffer` (the parameters or a gradient).
    func view(_ entry: ParameterStore.Entry, in buffer: Matrix) -> Matrix { store.view(entry.name, in: buffer) }

    /// p(y | x) of each row of `x` (n × width) as an n × classes matrix.
    public func probabilities(_ x: Matrix) -> Matrix {
        forward(x).probabilities
    }

    /// The most probable class of each row, with its probability.
    public func classify(_ x: Matrix) -> [(label: Int, confidence: Float)] {
        let p = probabilities(x)
        return (0..<p.rows).map { r in
            let row = UnsafeBufferPointer(start: p.row(r), count: classes)
            let best = row.indices.max { row[$0] < row[$1] }!
            return (best, row[best])
        }
    }

    /// The fraction of rows of `x` whose most probable class is their label.
    public func accuracy(_ x: Matrix, labels: [Int]) -> Double {
        precondition(labels.count == x.rows, "\(labels.count) labels for \(x.rows) rows")
        guard x.rows > 0 else { return 0 }
        let right = zip(classify(x), labels).filter { $0.0.label == $0.1 }.count
        return Double(right) / Double(x.rows)
    }

    /// The hidden activations (nil for regression) and the class probabilities.
    func forward(_ x: Matrix) -> (hidden: Matrix?, probabilities: Matrix) {
        precondition(x.cols == width, "classifier of \(width) inputs given rows of \(x.cols)")
        var input = x, hiddenValues: Matrix?
        let layers = weightEntries.count
        let out = Matrix(rows: x.rows, cols: classes)
        for layer in 0..<layers {
            let weight = view(entries[2 * layer], in: parameters), bias = view(entries[2 * layer + 1], in: parameters)
            let pre = layer == layers - 1 ? out : Matrix(rows: x.rows, cols: hidden)
            for r in 0..<x.rows { pre.row(r).update(from: bias.data, count: pre.cols) }
            BLAS.gemm(input, weight, transposeB: true, into: pre, beta: 1)
            if layer < layers - 1 {
                for i in 0..<pre.count { pre.data[i] = max(pre.data[i], 0) }
                hiddenValues = pre
                input = pre
            }
        }
        for r in 0..<out.rows { Self.softmax(out.row(r), count: classes) }
        return (hiddenValues, out)
    }

    /// In place, stably: the largest logit is subtracted first.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var top = -Float.infinity
        for k in 0..<count { top = max(top, row[k]) }
        var total: Float = 0
        for k in 0..<count { row[k] = exp(row[k] - top); total += row[k] }
        for k in 0..<count { row[k] /= total }
    }

    /// The mean log-likelihood (1/n) Σ log p(yᵢ | xᵢ) of a batch, and — into `gradient`, shaped
    /// like `parameters` — its gradient, which an ascent rule (`Adam`) follows. Softmax's
    /// ∂/∂logits is onehot(y) − p; the ReLU passes it back where its input was positive.
    @discardableResult
    public func logLikelihood(_ x: Matrix, labels: [Int], gradient: Matrix?) -> Double {
        precondition(labels.count == x.rows && x.rows > 0, "\(labels.count) labels for \(x.rows) rows")
        let (hiddenValues, p) = forward(x)
        let n = x.rows
        var total = 0.0
        for r in 0..<n { total += log(Double(max(p[r, labels[r]], .leastNormalMagnitude))) }
        guard let gradient else { return total / Double(n) }
        precondition(gradient.count == parameters.count, "gradient of \(gradient.count) for \(parameters.count) parameters")
        // delta = (onehot − p) / n, the gradient at the logits.
        let delta = p
        for i in 0..<delta.count { delta.data[i] = -delta.data[i] / Float(n) }
        for r in 0..<n { delta[r, labels[r]] += 1 / Float(n) }
        let layers = weightEntries.count
        var upper = delta
        for layer in stride(from: layers - 1, through: 0, by: -1) {
            let input = layer == 0 ? x : hiddenValues!
            let weightEntry = entries[2 * layer]
            BLAS.gemm(upper, transposeA: true, input, into: view(weightEntry, in: gradient))
            let biasGradient = view(entries[2 * layer + 1], in: gradient)
            biasGradient.fill(0)
            for r in 0..<n { for j in 0..<upper.cols { biasGradient.data[j] += upper[r, j] } }
            if layer > 0 {
                let below = Matrix(rows: n, cols: input.cols)
                BLAS.gemm(upper, view(weightEntry, in: parameters), into: below)
                for i in 0..<below.count where input.data[i] <= 0 { below.data[i] = 0 }
                upper = below
            }
        }
        return total / Double(n)
    }
}
