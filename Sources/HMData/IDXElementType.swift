/// The element types of the IDX format: the third byte of the magic number.
public enum IDXElementType: UInt8, CaseIterable, Sendable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Bytes per element in the file.
    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Whether values are integers (labels, indices, ubyte pixels) rather than reals.
    public var isInteger: Bool { self != .float32 && self != .float64 }
}
