/// A tensor as stored: name, dtype, row-major shape and raw little-endian bytes.
///
/// Storage keeps the bytes opaque so that the writer never converts or copies element by
/// element; typed views (`init(name:shape:values:)`, `values(as:)`) are for the edges.
public struct Tensor: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Raw constructor; throws when the byte count does not match `product(shape) · dtype size`.
    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let count = Tensor.elementCount(shape),
              let expected = count.multipliedOrNil(by: dtype.byteSize),
              expected == bytes.count
        else {
            throw CheckpointError(.invalidArgument, path: name, field: "shape",
                                  "\(bytes.count) bytes do not hold \(dtype.rawValue) \(shape)")
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Typed constructor for values already in memory (little-endian hosts only, see below).
    public init<T: TensorElement>(name: String, shape: [Int], values: [T]) {
        precondition(Tensor.elementCount(shape) == values.count,
                     "tensor \(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.dtype = T.dtype
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    /// The elements, typed; throws if `T` is not this tensor's dtype.
    public func values<T: TensorElement>(as type: T.Type) throws -> [T] {
        guard dtype == T.dtype else {
            throw CheckpointError(.tensorMismatch, path: name, field: "dtype",
                                  "is \(dtype.rawValue), not \(T.dtype.rawValue)")
        }
        let count = bytes.count / dtype.byteSize
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            initialized = count
        }
    }

    /// `product(shape)`, or nil when a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0, let next = count.multipliedOrNil(by: dimension) else {
                return nil
            }
            count = next
        }
        return count
    }
}

// Tensor bytes are little-endian by contract and copied as they lie in memory.
#if !_endian(little)
#error("HMCheckpoint copies tensor bytes as they lie in memory: little-endian hosts only")
#endif

/// Swift element types that map one-to-one onto a `DType`.
public protocol TensorElement {
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .f32 } }
extension Double: TensorElement { public static var dtype: DType { .f64 } }
extension Int64: TensorElement { public static var dtype: DType { .i64 } }
extension Int32: TensorElement { public static var dtype: DType { .i32 } }
extension UInt8: TensorElement { public static var dtype: DType { .u8 } }

extension Int {
    /// Overflow-checked product, nil on overflow: sizes come from untrusted headers.
    func multipliedOrNil(by other: Int) -> Int? {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
}
