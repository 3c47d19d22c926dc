/// Spikes of a multi-channel recording: which channel fired when, in seconds, sorted by time.
///
/// A channel is one distinct unit of the input (a CSV's `unit` or a Kilosort cluster); `units`
/// keeps the mapping so that patterns found on channels can be reported in the input's names.
/// The recording runs from time 0 to its last spike, whatever the source, so that the same
/// spikes give the same data whether they come from a file or from the generator.
public struct SpikeRecording: Sendable, Equatable {
    /// The unit of each channel, in channel order (see `SpikeRecording.channelOrder`).
    public let units: [String]
    /// The channel of each spike, in time order.
    public let channels: [Int]
    /// The time of each spike in seconds, non-decreasing.
    public let times: [Double]

    /// Spikes given in any order; they are sorted by time (ties by channel).
    public init(units: [String], channels: [Int], times: [Double]) {
        precondition(channels.count == times.count && channels.allSatisfy { units.indices.contains($0) })
        let order = times.indices.sorted { (times[$0], channels[$0]) < (times[$1], channels[$1]) }
        self.units = units
        self.channels = order.map { channels[$0] }
        self.times = order.map { times[$0] }
    }

    /// Spikes labelled by unit name: distinct units become channels in `channelOrder`.
    public init(units labels: [String], times: [Double]) {
        let units = Self.channelOrder(Set(labels))
        let channel = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($1, $0) })
        self.init(units: units, channels: labels.map { channel[$0]! }, times: times)
    }

    /// Units in channel order: by number when every name is a non-negative integer (so unit
    /// 10 follows unit 9), else by name.
    public static func channelOrder(_ names: Set<String>) -> [String] {
        let numbers = names.map { UInt64($0) }
        if numbers.allSatisfy({ $0 != nil }) {
            return names.sorted { (UInt64($0)!, $0) < (UInt64($1)!, $1) }
        }
        return names.sorted()
    }

    public var spikeCount: Int { times.count }
    /// The time of the last spike: the recording's end.
    public var end: Double { times.last ?? 0 }
}
