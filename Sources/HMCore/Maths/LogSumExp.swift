/// log Σ exp(x_i), stable, in float64.
public func logSumExp(_ x: UnsafeBufferPointer<Double>) -> Double {
    guard let top = x.max(), top.isFinite else { return x.max() ?? -.infinity }
    var sum = 0.0
    for v in x { sum += (v - top).exp() }
    return top + sum.log()
}

public func logSumExp(_ x: [Double]) -> Double { x.withUnsafeBufferPointer { logSumExp($0) } }

/// A running log Σ exp over values that arrive in chunks (the importance-sampled likelihood
/// with thousands of samples per data point).
public struct RunningLogSumExp: Sendable {
    public private(set) var top = -Double.infinity
    private var sum = 0.0

    public init() {}

    public mutating func add(_ v: Double) {
        if v <= top {
            sum += (v - top).exp()
        } else {
            sum = sum * (top - v).exp() + 1
            top = v
        }
    }

    public var value: Double { top == -.infinity ? -.infinity : top + sum.log() }
}

extension Double {
    @inline(__always) func exp() -> Double { Foundation.exp(self) }
    @inline(__always) func log() -> Double { Foundation.log(self) }
}

import Foundation
