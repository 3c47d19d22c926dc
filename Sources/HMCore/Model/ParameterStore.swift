/// All trainable tensors of a model in one flat float32 buffer, with a second buffer of the
/// same layout for their gradients.
///
/// One span each means the optimizer runs one kernel over everything, the allreduce sends one
/// fused buffer, and a checkpoint slices tensors out by offset. Layers hold views into it.
public final class ParameterStore: @unchecked Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let count: Int
    public let values: Matrix
    public let gradients: Matrix

    /// Lays out `tensors` (name and shape) in order.
    public init(_ tensors: [(name: String, shape: [Int])]) {
        var offset = 0
        var entries: [Entry] = []
        for t in tensors {
            entries.append(Entry(name: t.name, shape: t.shape, offset: offset))
            // Round every tensor up to 16 floats so that each starts 64-byte aligned.
            offset += (t.shape.reduce(1, *) + 15) / 16 * 16
        }
        self.entries = entries
        count = offset
        values = Matrix(rows: 1, cols: offset)
        gradients = Matrix(rows: 1, cols: offset)
    }

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The value of tensor `name` as a [rows, cols] view (a vector is [1, n]).
    public func value(_ name: String) -> Matrix { view(name, in: values) }
    public func gradient(_ name: String) -> Matrix { view(name, in: gradients) }

    /// Tensor `name` as a [rows, cols] view of `buffer`, a buffer laid out like the store's
    /// from offset `origin` on (a buffer of the tensors from `origin` to the end).
    public func view(_ name: String, in buffer: Matrix, origin: Int = 0) -> Matrix {
        guard let e = entry(name) else { preconditionFailure("no parameter \(name)") }
        precondition(e.offset >= origin && e.offset - origin + e.count <= buffer.count, "\(name) outside the buffer")
        let rows = e.shape.count == 2 ? e.shape[0] : 1
        return Matrix(view: buffer.data + e.offset - origin, rows: rows, cols: e.count / rows, owner: buffer)
    }

    public func zeroGradients() { gradients.fill(0) }
}
