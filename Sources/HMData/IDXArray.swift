/// An IDX array: a shape and its elements, kept as the big-endian bytes of the file.
///
/// Keeping the file's bytes (rather than one Swift array per element type) gives the reader and
/// the writer a single representation; `floats()` and `int32s()` decode on demand.
public struct IDXArray: Equatable, Sendable {
    public let elementType: IDXElementType
    /// Sizes of the dimensions, outermost first: `[60000, 28, 28]` for MNIST images.
    public let shape: [Int]
    /// The elements, row-major, big-endian, exactly as stored after the header.
    public let payload: [UInt8]

    /// Number of elements: the product of `shape`.
    public var count: Int { payload.count / elementType.size }

    /// Wraps already-encoded big-endian element bytes; the reader's constructor.
    init(elementType: IDXElementType, shape: [Int], payload: [UInt8]) {
        precondition(payload.count == shape.reduce(1, *) * elementType.size,
                     "IDXArray: \(payload.count) payload bytes do not fit shape \(shape)")
        self.elementType = elementType
        self.shape = shape
        self.payload = payload
    }

    public init(shape: [Int], uint8 values: [UInt8]) {
        self.init(elementType: .uint8, shape: shape, payload: values)
    }

    public init(shape: [Int], int8 values: [Int8]) {
        self.init(elementType: .int8, shape: shape, payload: values.map { UInt8(bitPattern: $0) })
    }

    public init(shape: [Int], int16 values: [Int16]) {
        self.init(elementType: .int16, shape: shape, payload: Self.bigEndianBytes(values))
    }

    public init(shape: [Int], int32 values: [Int32]) {
        self.init(elementType: .int32, shape: shape, payload: Self.bigEndianBytes(values))
    }

    public init(shape: [Int], float32 values: [Float]) {
        self.init(elementType: .float32, shape: shape,
                  payload: Self.bigEndianBytes(values.map(\.bitPattern)))
    }

    public init(shape: [Int], float64 values: [Double]) {
        self.init(elementType: .float64, shape: shape,
                  payload: Self.bigEndianBytes(values.map(\.bitPattern)))
    }

    /// The elements as `Float`, whatever their type (int32 and float64 round to nearest).
    public func floats() -> [Float] {
        switch elementType {
        case .uint8: return decode(UInt8.self) { Float($0) }
        case .int8: return decode(Int8.self) { Float($0) }
        case .int16: return decode(Int16.self) { Float($0) }
        case .int32: return decode(Int32.self) { Float($0) }
        case .float32: return decode(UInt32.self) { Float(bitPattern: $0) }
        case .float64: return decode(UInt64.self) { Float(Double(bitPattern: $0)) }
        }
    }

    /// The elements as exact `Int32` (labels, indices); nil for float32 and float64 arrays.
    public func int32s() -> [Int32]? {
        switch elementType {
        case .uint8: return decode(UInt8.self) { Int32($0) }
        case .int8: return decode(Int8.self) { Int32($0) }
        case .int16: return decode(Int16.self) { Int32($0) }
        case .int32: return decode(Int32.self) { $0 }
        case .float32, .float64: return nil
        }
    }

    /// Reads every element as a big-endian `T` and maps it, over raw memory: a per-element
    /// `Array` access would make loading MNIST several times slower.
    @inline(__always)
    private func decode<T: FixedWidthInteger, R>(_: T.Type, _ map: (T) -> R) -> [R] {
        let n = count
        return payload.withUnsafeBytes { raw in
            [R](unsafeUninitializedCapacity: n) { out, initialized in
                for i in 0..<n {
                    let value = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                    (out.baseAddress! + i).initialize(to: map(T(bigEndian: value)))
                }
                initialized = n
            }
        }
    }

    private static func bigEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        let bigEndian = values.map(\.bigEndian)
        return bigEndian.withUnsafeBytes { [UInt8]($0) }
    }
}
