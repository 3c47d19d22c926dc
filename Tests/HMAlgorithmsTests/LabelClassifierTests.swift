import Foundation
import Testing
@testable import HMAlgorithms
@testable import HMCore

/// The label classifier's gradient against central differences, and that training lowers its loss.
@Suite struct LabelClassifierTests {
    /// n rows of `width` 0/1 pixels and labels, from the counter-based generator.
    static func data(rows n: Int, width: Int, classes: Int, seed: UInt64) -> (Matrix, [Int]) {
        let stream = RandomStream(key: seed, purpose: .evaluate, step: 0)
        let x = Matrix(rows: n, cols: width)
        stream.uniforms(tag: 1, index: 0, into: x.data, count: x.count)
        for i in 0..<x.count { x.data[i] = x.data[i] < 0.4 ? 1 : 0 }
        var u = [Float](repeating: 0, count: n)
        stream.uniforms(tag: 2, index: 0, into: &u, count: n)
        return (x, u.map { min(Int($0 * Float(classes)), classes - 1) })
    }

    @Test(arguments: [0, 4])
    func gradientMatchesFiniteDifferences(hidden: Int) {
        let (x, labels) = Self.data(rows: 7, width: 5, classes: 3, seed: 11)
        let c = LabelClassifier(width: 5, classes: 3, hidden: hidden)
        // Random weights of both signs, so ReLU units are both on and off.
        let stream = RandomStream(key: 3, purpose: .initialize, step: 0)
        stream.normals(tag: 0, index: 0, into: c.parameters.data, count: c.parameters.count)
        let gradient = Matrix(rows: 1, cols: c.parameters.count)
        c.logLikelihood(x, labels: labels, gradient: gradient)
        // A small step, so that no ReLU input crosses zero between the two evaluations.
        let h: Float = 1e-3
        for i in 0..<c.parameters.count {
            let p = c.parameters.data + i, saved = p.pointee
            p.pointee = saved + h
            let up = c.logLikelihood(x, labels: labels, gradient: nil)
            p.pointee = saved - h
            let down = c.logLikelihood(x, labels: labels, gradient: nil)
            p.pointee = saved
            let numeric = (up - down) / (2 * Double(h))
            #expect(abs(numeric - Double(gradient.data[i])) < 5e-3 * max(1, abs(numeric)), "parameter \(i): \(gradient.data[i]) vs \(numeric)")
        }
    }

    @Test func probabilitiesAreDistributions() {
        let (x, _) = Self.data(rows: 6, width: 9, classes: 4, seed: 2)
        let c = LabelClassifier(width: 9, classes: 4, hidden: 3)
        c.initialize(seed: 5)
        let p = c.probabilities(x)
        for r in 0..<p.rows {
            let row = (0..<4).map { p[r, $0] }
            #expect(abs(row.reduce(0, +) - 1) < 1e-5 && row.allSatisfy { $0 > 0 })
            let best = c.classify(Matrix(rows: 1, cols: 9, values: (0..<9).map { x[r, $0] }))[0]
            #expect(best.confidence == row.max() && row[best.label] == row.max())
        }
    }

    /// A rule the classifier can learn (the label is the first pixel's plus twice the second's):
    /// both kinds reach it, deterministically for a seed.
    @Test(arguments: [0, 8])
    func learnsALearnableRule(hidden: Int) {
        var (x, labels) = Self.data(rows: 400, width: 6, classes: 4, seed: 9)
        labels = (0..<x.rows).map { Int(x[$0, 0]) + 2 * Int(x[$0, 1]) }
        let c = LabelClassifier(width: 6, classes: 4, hidden: hidden)
        let training = ClassifierTraining(epochs: 40, batchSize: 20, learningRate: 1e-2, seed: 4)
        let history = training.train(c, x: x, labels: labels)
        #expect(history.last! > history.first!, "\(history)")
        #expect(c.accuracy(x, labels: labels) > 0.97)
        let again = LabelClassifier(width: 6, classes: 4, hidden: hidden)
        training.train(again, x: x, labels: labels)
        #expect(again.parameters.array == c.parameters.array)
    }
}
