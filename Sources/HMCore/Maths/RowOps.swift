import CKernels

/// Row-wise operations that the estimators need on top of the layers' own.
extension Matrix {
    /// self[r, :] *= scale[r] for every active row.
    public func scaleRows(by scale: UnsafePointer<Float>) {
        hm_scale_rows(data, scale, Int64(rows), Int64(cols))
    }

    /// self[g, :] = Σ_k w[g·K + k] · x[g·K + k, :]: K rows of `x` folded into one, weighted.
    public func setWeightedGroupSum(of x: Matrix, weights: UnsafePointer<Float>, groupSize K: Int) {
        precondition(x.rows == rows * K && x.cols == cols, "group sum shapes")
        hm_weighted_group_sum(x.data, weights, Int64(rows), Int64(K), Int64(cols), data)
    }

    /// out ← σ(self), entry by entry, for every active row (out has the same shape; apart from
    /// self, so that the kernel runs vectorised).
    public func sigmoid(into out: Matrix) {
        precondition(out.count == count && out.data != data, "sigmoid into \(out.count) values from \(count)")
        hm_sigmoid(data, out.data, Int64(count))
    }

    /// True if any active entry is NaN or infinite.
    public var hasNonFinite: Bool { hm_has_nonfinite(data, Int64(count)) != 0 }
}

/// A fixed-size scratch vector of doubles (per-sample log-probabilities), allocated once.
public final class DoubleBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Double>
    public let capacity: Int

    public init(_ capacity: Int) {
        self.capacity = capacity
        pointer = .allocate(capacity: max(capacity, 1))
        pointer.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { pointer.deallocate() }

    public func zero(_ count: Int) { pointer.update(repeating: 0, count: count) }
    public subscript(i: Int) -> Double {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
