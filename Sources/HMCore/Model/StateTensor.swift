/// A named tensor of training state that must survive a resume (an algorithm's statistics,
/// say), as plain values: the engine writes it into a checkpoint under its name and hands it
/// back on resume. Knows nothing of files.
public struct StateTensor: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])

        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .int64(let v): return v.count
            }
        }
    }

    public let name: String
    public let shape: [Int]
    public let values: Values

    public init(name: String, shape: [Int], values: Values) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) for \(values.count) values")
        self.name = name
        self.shape = shape
        self.values = values
    }

    public var floats: [Float]? { if case .float32(let v) = values { return v } else { return nil } }
    public var doubles: [Double]? { if case .float64(let v) = values { return v } else { return nil } }
    public var integers: [Int64]? { if case .int64(let v) = values { return v } else { return nil } }
}
