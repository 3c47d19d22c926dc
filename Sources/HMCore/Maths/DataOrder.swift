/// The order in which an epoch visits the training set: a function of (seed, epoch) alone
/// (docs/training.md), so every rank, a resumed run and a run on another world size agree.
public enum DataOrder {
    /// A Fisher–Yates shuffle of 0..<count driven by the shuffle stream of `epoch`.
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        guard count > 1 else { return order }
        var u = [Float](repeating: 0, count: count)
        let stream = RandomStream(key: seed, purpose: .shuffle, step: epoch)
        u.withUnsafeMutableBufferPointer { stream.uniforms(tag: 0, index: 0, into: $0.baseAddress!, count: count) }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = min(Int(u[i] * Float(i + 1)), i)
            order.swapAt(i, j)
        }
        return order
    }
}
