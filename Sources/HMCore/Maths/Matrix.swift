import Foundation

/// A row-major float32 matrix: the unit every kernel and GEMM works on.
///
/// It either owns a 64-byte-aligned allocation or is a view into another buffer (the
/// parameters of all layers live in one flat buffer, so that the optimizer, the allreduce and
/// the checkpoint each see a single span). `rows` may be lowered below `capacity` rows, so that a
/// workspace sized for a full batch also serves a smaller last batch without reallocating.
public final class Matrix: @unchecked Sendable {
    public let cols: Int
    public let capacity: Int
    public private(set) var rows: Int
    public let data: UnsafeMutablePointer<Float>
    private let owner: AnyObject?
    private let owns: Bool

    /// A new zeroed matrix.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "matrix shape [\(rows), \(cols)]")
        self.rows = rows
        self.cols = cols
        self.capacity = rows
        let bytes = max(rows * cols, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: Float.self, repeating: 0, count: max(rows * cols, 1))
        data = raw.assumingMemoryBound(to: Float.self)
        owner = nil
        owns = true
    }

    /// A view of `rows × cols` floats at `pointer`, kept alive by `owner`.
    public init(view pointer: UnsafeMutablePointer<Float>, rows: Int, cols: Int, owner: AnyObject?) {
        self.rows = rows
        self.cols = cols
        self.capacity = rows
        data = pointer
        self.owner = owner
        owns = false
    }

    public convenience init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "\(values.count) values for [\(rows), \(cols)]")
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { if owns { UnsafeMutableRawPointer(data).deallocate() } }

    public var count: Int { rows * cols }

    /// Uses the first `rows` rows of the allocation.
    public func setRows(_ rows: Int) {
        precondition(rows >= 0 && rows <= capacity, "rows \(rows) beyond capacity \(capacity)")
        self.rows = rows
    }

    public subscript(row: Int, col: Int) -> Float {
        get { data[row * cols + col] }
        set { data[row * cols + col] = newValue }
    }

    public func row(_ r: Int) -> UnsafeMutablePointer<Float> { data + r * cols }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    public func copy(from other: Matrix) {
        precondition(other.count == count, "copy of \(other.count) values into \(count)")
        data.update(from: other.data, count: count)
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
}
