/// What a shard is written from: a tensor's name, dtype and shape, and its bytes wherever they
/// lie. `Tensor` owns its bytes; `TensorView` borrows them, so that a caller can save buffers
/// it already holds (parameters, optimizer state) without copying them out first.
public protocol TensorSource {
    var name: String { get }
    var dtype: DType { get }
    var shape: [Int] { get }
    var byteCount: Int { get }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Tensor: TensorSource {
    public var byteCount: Int { bytes.count }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}

/// A tensor whose bytes stay in memory the caller owns. Unsafe as a pointer is: the memory
/// must stay allocated and unchanged while the view is written.
public struct TensorView: TensorSource {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer

    /// Traps when the byte count is not `product(shape) · dtype size`: views are made by code
    /// from buffers it knows, never from what a file says.
    public init(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer) {
        precondition(Tensor.elementCount(shape)?.multipliedOrNil(by: dtype.byteSize) == bytes.count,
                     "tensor \(name): \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var byteCount: Int { bytes.count }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(bytes) }
}
