/// Element types a checkpoint can hold, spelled exactly as safetensors spells them, so that
/// any safetensors reader opens our shards without a mapping table.
public enum DType: String, Codable, Sendable, CaseIterable {
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case i32 = "I32"
    case u8 = "U8"

    /// Bytes per element; the safetensors byte-count rule is `product(shape) · byteSize`.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .u8: return 1
        }
    }
}
