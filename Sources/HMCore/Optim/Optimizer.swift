import CKernels

/// A gradient-ascent rule over the whole flat parameter buffer (we maximise log-likelihoods).
public protocol Optimizer: AnyObject {
    var name: String { get }
    /// Set before each step by the run's `LearningRateSchedule`.
    var learningRate: Float { get set }
    /// Steps taken so far (Adam's bias correction needs it; the checkpoint keeps it).
    var stepCount: Int { get set }
    /// Per-parameter state buffers by slot name, each the length of the parameter buffer.
    var slots: [(name: String, buffer: Matrix)] { get }
    func step(parameters: Matrix, gradients: Matrix)
}

/// Adam (Kingma & Ba 2015), as an ascent rule.
public final class Adam: Optimizer {
    public let name = "adam"
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public var stepCount = 0
    let m: Matrix, v: Matrix
    public var slots: [(name: String, buffer: Matrix)] { [("m", m), ("v", v)] }

    public init(count: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = Matrix(rows: 1, cols: count)
        v = Matrix(rows: 1, cols: count)
    }

    public func step(parameters: Matrix, gradients: Matrix) {
        stepCount += 1
        let c1 = 1 - pow(Double(beta1), Double(stepCount))
        let c2 = 1 - pow(Double(beta2), Double(stepCount))
        let (p, g, m, v, lr, b1, b2, eps) = (parameters.data, gradients.data, self.m.data, self.v.data, learningRate, beta1, beta2, epsilon)
        RowParallel.run(rows: parameters.count, cols: 1, aligned: 4096) { part in
            let o = part.lowerBound
            hm_adam(p + o, g + o, m + o, v + o, Int64(part.count), lr, b1, b2, eps, Float(c1), Float(c2))
        }
    }
}

/// Stochastic gradient ascent with (heavy-ball) momentum.
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Float
    public let momentum: Float
    public var stepCount = 0
    let velocity: Matrix
    public var slots: [(name: String, buffer: Matrix)] { [("velocity", velocity)] }

    public init(count: Int, learningRate: Float, momentum: Float = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
        velocity = Matrix(rows: 1, cols: count)
    }

    public func step(parameters: Matrix, gradients: Matrix) {
        stepCount += 1
        hm_momentum(parameters.data, gradients.data, velocity.data, Int64(parameters.count),
                    learningRate, momentum)
    }
}

import Foundation
